// Catalog database helpers: see catalog_db.h. Boost.JSON is compiled into this file (its
// header-only mode), once for every test binary that links shoal_testlib.
#include "catalog_db.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <boost/json/parse.hpp>
#include <boost/json/src.hpp>
#include <sqlite3.h>

#include "cli/demo_catalog.h"
#include "shoal_process.h"

#ifndef SHOAL_SOURCE_DIR
#error "SHOAL_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace shoal::testing {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Result<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return Status::Unavailable("open " + path + ": " +
                               (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

}  // namespace

Status MakeCatalog(const std::string& path, int items) {
  return cli::WriteDemoCatalog(path, items, 42);
}

Result<boost::json::array> QueryJson(const std::string& path, std::string_view sql,
                                     const std::vector<SqlValue>& binds,
                                     const std::vector<std::string>& json_columns) {
  Result<DbPtr> db = OpenDb(path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return db.status();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db->get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return Status::InvalidArgument(sqlite3_errmsg(db->get()));
  }
  StmtPtr stmt(raw);
  for (size_t i = 0; i < binds.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (const auto* n = std::get_if<int64_t>(&binds[i])) {
      sqlite3_bind_int64(raw, index, *n);
    } else {
      const std::string& s = std::get<std::string>(binds[i]);
      sqlite3_bind_text64(raw, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
  }
  boost::json::array rows;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    boost::json::object row;
    for (int c = 0; c < sqlite3_column_count(raw); ++c) {
      const std::string name = sqlite3_column_name(raw, c);
      boost::json::value v;
      switch (sqlite3_column_type(raw, c)) {
        case SQLITE_INTEGER:
          v = sqlite3_column_int64(raw, c);
          break;
        case SQLITE_FLOAT:
          v = sqlite3_column_double(raw, c);
          break;
        case SQLITE_NULL:
          v = nullptr;
          break;
        default: {
          const auto* text = sqlite3_column_text(raw, c);
          const auto size = static_cast<size_t>(sqlite3_column_bytes(raw, c));
          const std::string_view s(reinterpret_cast<const char*>(text), size);
          if (std::find(json_columns.begin(), json_columns.end(), name) != json_columns.end()) {
            Result<boost::json::value> parsed = ParseJson(s);
            if (!parsed.ok()) return parsed.status();
            v = std::move(parsed).value();
          } else {
            v = boost::json::string(s);
          }
        }
      }
      row[name] = std::move(v);
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return Status::Unavailable(sqlite3_errmsg(db->get()));
  return rows;
}

Status ExecSql(const std::string& path, std::string_view sql) {
  Result<DbPtr> db = OpenDb(path, SQLITE_OPEN_READWRITE);
  if (!db.ok()) return db.status();
  char* error = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db->get(), text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return Status::Unavailable(message);
  }
  return Status::Ok();
}

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return Status::InvalidArgument("bad JSON (" + ec.message() + "): " + std::string(text));
  return v;
}

Result<std::string> ExampleConfig(const std::string& db_path) {
  std::string text = ReadFile(std::string(SHOAL_SOURCE_DIR) + "/examples/catalog/shoal.yaml");
  const auto replace_line = [&text](std::string_view prefix, const std::string& line) {
    const size_t at = text.find(prefix);
    if (at == std::string::npos) return false;
    const size_t eol = text.find('\n', at);
    text.replace(at, eol - at, line);
    return true;
  };
  if (!replace_line("listen:", "listen: 127.0.0.1:0") ||
      !replace_line("sqlite:", "sqlite: { path: \"" + db_path + "\" }")) {
    return Status::NotFound("examples/catalog/shoal.yaml lacks a listen or sqlite line");
  }
  return text;
}

std::string SlowEndpointYaml(std::string_view route, std::string_view ttl) {
  std::string yaml = "\n  - route: ";
  yaml.append(route).append("\n    query: \"").append(kSlowQuery).append("\"\n");
  yaml.append("    result: one\n    ttl: ").append(ttl).append("\n");
  return yaml;
}

int64_t RowsForDuration(Duration target) {
  constexpr int64_t kProbe = 500000;
  Result<DbPtr> db = OpenDb(":memory:", SQLITE_OPEN_READWRITE);
  if (!db.ok()) return kProbe;
  const std::string sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
      "WHERE x < " +
      std::to_string(kProbe) + ") SELECT count(*) FROM c";
  // Best of three, so a moment of contention does not make the query look slower than it is.
  auto best = std::chrono::steady_clock::duration::max();
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    sqlite3_exec(db->get(), sql.c_str(), nullptr, nullptr, nullptr);
    best = std::min(best, std::chrono::steady_clock::now() - start);
  }
  const double per_row = static_cast<double>(best.count()) / static_cast<double>(kProbe);
  return std::max<int64_t>(
      1000, static_cast<int64_t>(static_cast<double>(target.count()) / std::max(per_row, 1e-3)));
}

}  // namespace shoal::testing
