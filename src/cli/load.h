// `shoal load`: rows from a JSONL or CSV file upserted into a SQLite or Cassandra table.
//
//   shoal load --to sqlite:PATH | cassandra:HOST[:PORT]/KEYSPACE --table T --from FILE
//              [--format jsonl|csv] [--columns a,b,c] [--concurrency N]
//
// Readers turn the file into rows of store::Values, one record at a time (the file is never
// held in memory). The driver hands each row to a RowSink with at most concurrency() writes
// unfinished, counts what was written and what was rejected (keeping the first reasons, each
// naming its line), and reports progress: a bar redrawn in place on a terminal, a plain line
// every 2 s otherwise. Both sinks upsert (INSERT OR REPLACE, Cassandra's INSERT), so running
// an interrupted load again is safe.
//
// A line that does not parse, or that the database refuses, is rejected and the load goes
// on; a target that cannot be opened, or a table or column the database does not know, stops
// it before the first row. Exit status: 0 every row written, 1 some rows rejected (or the
// load could not start), 2 a usage error.
//
// Thread-safety: a RowSink's Write callbacks may run on any thread; the driver serialises
// its own counting. Everything else is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace shoal::cli {

// RowSink writes rows into one table.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Begin prepares the upsert of rows of `columns` into `table`. Errors name the table and
  // carry the database's message (no such table, no such column).
  virtual Status Begin(const std::string& table, const std::vector<std::string>& columns) = 0;
  // Write writes one row (values in `columns` order); `done` runs exactly once, on any thread,
  // possibly inside Write.
  virtual void Write(std::vector<store::Value> row, std::function<void(Status)> done) = 0;
  // concurrency is how many writes may be unfinished at once.
  virtual size_t concurrency() const = 0;
  // Finish waits for every write and commits.
  virtual Status Finish() = 0;
};

struct CassandraTarget {
  std::string host;
  uint16_t port = 9042;
  std::string keyspace;
  std::string user;  // SHOAL_CASSANDRA_USER / SHOAL_CASSANDRA_PASSWORD, when set
  std::string password;
  int concurrency = 256;
};

// OpenSqliteSink opens an existing SQLite file read-write (it creates nothing).
Result<std::unique_ptr<RowSink>> OpenSqliteSink(const std::string& path);
// OpenCassandraSink connects to the cluster (load_cassandra.cc).
Result<std::unique_ptr<RowSink>> OpenCassandraSink(const CassandraTarget& target);

// CsvField is one field of a CSV record: its text, and whether it was quoted ("" is an empty
// string, an empty unquoted field is null).
struct CsvField {
  std::string text;
  bool quoted = false;
};

// ReadCsvRecord reads one RFC 4180 record (fields separated by commas, "..." quoting with ""
// for a quote, CRLF or LF line ends, line breaks inside quotes). Returns false at the end of
// the input. `line` is advanced past the record's lines; `bytes` counts what was consumed.
// A quote left open at the end of the input, or text after a closing quote, is an error
// (the record is consumed).
Result<bool> ReadCsvRecord(std::istream& in, std::vector<CsvField>* fields, size_t* line,
                           uint64_t* bytes);

// JsonlColumns returns the keys of one JSON object, in order.
Result<std::vector<std::string>> JsonlColumns(std::string_view line);
// JsonlRow maps one JSON object onto `columns`: integers to int64, other numbers to double,
// strings to strings, true/false to 1/0, null (or a missing key) to null, arrays and objects
// to their JSON text. A key not among `columns` is an error unless `ignore_unknown`.
Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown);

// LoadCommand runs `shoal load` with `args` (after the word "load"); returns the exit status.
int LoadCommand(std::span<const std::string_view> args);

}  // namespace shoal::cli
