// Internal to ingest/: what the writers (sqlite_writer, cassandra_writer) share. Not for use
// outside this folder. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shoal::ingest::internal {

// QuoteIdentifier writes a table or column name in double quotes, a quote inside doubled, so
// that any name (mixed case, a keyword) means exactly the one it spells. SQL and CQL quote
// identifiers the same way.
std::string QuoteIdentifier(std::string_view name);

// InsertStatement is `verb` "table" ("a", "b", ...) VALUES (?, ?, ...), e.g. with verb
// "INSERT INTO" (an upsert in CQL) or "INSERT OR REPLACE INTO" (SQLite's upsert).
std::string InsertStatement(std::string_view verb, std::string_view table,
                            const std::vector<std::string>& columns);

}  // namespace shoal::ingest::internal
