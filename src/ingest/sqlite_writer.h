// The SQLite writer: upserts rows into a table of an existing SQLite file.
//
// It opens the file with sqlite_open.h's kLoad (read-write, nothing created, WAL so that a
// serving shoal goes on reading, a 5 s busy timeout) and writes with one prepared INSERT OR
// REPLACE, in transactions of kSqliteBatch rows. Each row's `done` runs when its transaction
// commits, so a row counted as written is on disk; concurrency() is the batch size for that
// reason. A row the database refuses (a constraint) is rejected alone; an error that makes
// SQLite roll the whole transaction back rejects the batch's earlier rows too, and says so.
//
// Column types come from the table's declared types (PRAGMA table_xinfo) by SQLite's
// affinity rules (column_type.h).
//
// Ownership: the writer owns its connection. Thread-safety: single-threaded; every `done`
// runs on the caller's thread, inside Write or Finish.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "ingest/writer.h"

namespace shoal::ingest {

// Rows per transaction: one commit (and fsync) per 1000 rows rather than per row.
inline constexpr size_t kSqliteBatch = 1000;

// OpenSqliteWriter opens `path`, which must exist with its table. Errors say so.
Result<std::unique_ptr<RowWriter>> OpenSqliteWriter(const std::string& path);

}  // namespace shoal::ingest
