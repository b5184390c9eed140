// RowWriter: where the rows of a load go, one table of one database. Writers today: SQLite
// (sqlite_writer.h) and Cassandra (cassandra_writer.h); both upsert, so running an
// interrupted load again is safe.
//
// The writer knows the table's column types (a source does not) and converts each value to
// its column's type before binding it (column_type.h): a value that does not fit its column
// (text "abc" or 1.5 for an INTEGER column) rejects the row with a reason naming the column.
// Rows go in one at a time with a completion each; a writer may batch them (SQLite commits a
// transaction of rows at once) or keep many in flight (Cassandra), and concurrency() says how
// many may be unfinished, which the driver (load.h) respects.
//
// Thread-safety: Begin, Write, concurrency and Finish are called from one thread; `done`
// callbacks may run on any thread (the writer's own, for Cassandra).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ingest/column_type.h"
#include "store/store.h"

namespace shoal::ingest {

class RowWriter {
 public:
  virtual ~RowWriter() = default;

  // Begin: rows will be values of `columns` for `table`. Prepares the upsert and reads the
  // columns' types. `values_are_text` is the source's (source.h): each non-null value is then
  // a string to parse by its column's type. Errors name the table and carry the database's
  // message (no such table, no such column). REQUIRES: called once, before any Write.
  virtual Status Begin(const std::string& table, const std::vector<std::string>& columns,
                       bool values_are_text) = 0;

  // Write writes one row, values in `columns` order. `done` runs exactly once, on any thread
  // (possibly inside Write, possibly inside a later Write or Finish), with the row's outcome:
  // OK means the row is stored; an error is the reason the row was rejected, and its code says
  // whose fault it is: InvalidArgument, the row's (a value, a constraint); Cancelled, another
  // row's (its failure undid this row's batch); Unavailable or DeadlineExceeded, the store's
  // (the disk is full, an I/O error, the database is locked, the cluster refuses or does not
  // answer), which stop the load when they go on (LoadReport::kStopAfter in a row).
  virtual void Write(std::vector<store::Value> row, std::function<void(Status)> done) = 0;

  // concurrency is how many writes may be unfinished at once (at least 1).
  virtual size_t concurrency() const = 0;

  // target_columns is what Begin found: each column's type, in Begin's order (null before
  // Begin, or from a writer that does not convert). A row's value converted by its column
  // (ConvertValue) is what this writer stores, so a row's tags are made from it (row_tags.h).
  virtual const std::vector<TargetColumn>* target_columns() const { return nullptr; }

  // Finish waits for every write (every `done` has run when it returns), commits, and reports
  // the first error of the commit.
  virtual Status Finish() = 0;
};

}  // namespace shoal::ingest
