// Test-side access to catalog databases and their configs: generate the demo catalog, read
// rows straight from the SQLite file as JSON (the oracle the server's answers are compared
// with), change the file behind a running server's back, and write configs.
//
// Every function opens its own SQLite connection and closes it before returning, so they may
// be called from any thread while a shoal process reads the same file. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::testing {

using SqlValue = std::variant<int64_t, std::string>;

// MakeCatalog writes the demo catalog of `items` items (seed 42) to `path`.
Status MakeCatalog(const std::string& path, int items);

// QueryJson runs one statement on the database at `path` with ?1, ?2, ... bound to `binds`,
// and returns each row as a JSON object keyed by column name: INTEGER as int64, REAL as
// double, TEXT as string, NULL as null; columns named in `json_columns` are parsed as JSON.
Result<boost::json::array> QueryJson(const std::string& path, std::string_view sql,
                                     const std::vector<SqlValue>& binds = {},
                                     const std::vector<std::string>& json_columns = {});

// ExecSql runs `sql` (any statements) on a read-write connection to `path`.
Status ExecSql(const std::string& path, std::string_view sql);

// ParseJson parses one JSON document.
Result<boost::json::value> ParseJson(std::string_view text);

// ExampleConfig returns examples/catalog/shoal.yaml with its listen address set to
// 127.0.0.1:0 and its database path set to `db_path`.
Result<std::string> ExampleConfig(const std::string& db_path);

// RowsForDuration calibrates the slow query below on this machine: how many rows its
// recursive CTE must count to take about `target` in SQLite.
int64_t RowsForDuration(Duration target);

// kSlowQuery counts :n rows with a recursive CTE; its cost is linear in :n and it reads no
// table, so one endpoint can be made as slow as a test needs. Returns {n, total}.
inline constexpr std::string_view kSlowQuery =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
    "SELECT :n AS n, count(*) AS total FROM c";

// SlowEndpointYaml is one entry of an `endpoints:` list (indented for the example config)
// serving kSlowQuery at `route`, which must declare {n:int}.
std::string SlowEndpointYaml(std::string_view route = "/slow/{n:int}",
                             std::string_view ttl = "60s");

}  // namespace shoal::testing
