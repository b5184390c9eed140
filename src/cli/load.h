// `shoal load`: rows from a JSONL or CSV file upserted into a SQLite or Cassandra table.
//
//   shoal load --to sqlite:PATH | cassandra:HOST[:PORT]/KEYSPACE --table T --from FILE
//              [--format jsonl|csv] [--columns a,b,c] [--concurrency N]
//
// Three parts, each usable alone:
//   RowReader  turns the file into rows of store::Values, one record at a time (the file is
//              never held in memory), and names the line each row starts on.
//   RowSink    writes rows into one table: the SQLite sink here, the Cassandra sink in
//              load_cassandra.cc.
//   LoadRows   the driver: hands each row to the sink with at most sink.concurrency() writes
//              unfinished, counts what was written and what was rejected (keeping the reasons
//              of the lowest lines), and reports progress.
// LoadCommand wires them to the command line and prints a bar redrawn in place on a terminal,
// a plain line every 2 s otherwise. Both sinks upsert (INSERT OR REPLACE, Cassandra's INSERT),
// so running an interrupted load again is safe.
//
// A record that does not parse, or that the database refuses, is rejected and the load goes
// on; a target that cannot be opened, or a table or column the database does not know, stops
// it before the first row. Exit status: 0 every row written, 1 some rows rejected (or the
// load could not start, or its last commit failed), 2 a usage error.
//
// Thread-safety: a RowSink's `done` callbacks may run on any thread; LoadRows serialises its
// own counting. RowReader, the SQLite sink and LoadCommand are single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
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

// RowSink writes rows into one table. Begin, Write and Finish are called from one thread;
// `done` callbacks may come from any.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Begin: writes will be rows of `columns` into `table`; prepares the upsert statement
  // (SQLite: INSERT OR REPLACE with quoted identifiers; Cassandra: INSERT, which is an upsert).
  // Errors name the table (and keyspace) and carry the database's message: no such table, no
  // such column. REQUIRES: called once, before any Write.
  virtual Status Begin(const std::string& table, const std::vector<std::string>& columns) = 0;
  // Write writes one row, values in `columns` order. `done` runs exactly once, on any thread
  // (possibly inside Write, possibly inside a later Write or Finish), with the row's outcome:
  // OK means the row is stored. The driver keeps at most concurrency() writes unfinished.
  virtual void Write(std::vector<store::Value> row, std::function<void(Status)> done) = 0;
  // concurrency is how many writes may be unfinished at once (at least 1).
  virtual size_t concurrency() const = 0;
  // Finish waits for every write (every `done` has run when it returns), commits, and
  // reports the first error of the commit.
  virtual Status Finish() = 0;
};

struct CassandraTarget {
  std::string host;
  uint16_t port = 9042;
  std::string keyspace;
  std::string user;  // SHOAL_CASSANDRA_USER / SHOAL_CASSANDRA_PASSWORD, when set
  std::string password;
  int concurrency = 256;  // writes in flight (--concurrency)
};

// ParseCassandraTarget reads "HOST[:PORT]/KEYSPACE" (the part after "cassandra:"; an IPv6
// host goes in brackets) and the credentials from the environment. Errors say what is wrong.
Result<CassandraTarget> ParseCassandraTarget(std::string_view spec);

// OpenSqliteSink opens an existing SQLite file read-write (it creates nothing: the file and
// the table must exist). Rows go in transactions of 1000 and each row's `done` runs when its
// transaction commits, so a row counted as written is on disk; concurrency() is the batch
// size for that reason. A row the database refuses (a constraint) is rejected alone.
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
// (the record is consumed, so the next call reads the next one).
Result<bool> ReadCsvRecord(std::istream& in, std::vector<CsvField>* fields, size_t* line,
                           uint64_t* bytes);

// JsonlColumns returns the keys of one JSON object, in order. No keys, or a key twice, is an
// error.
Result<std::vector<std::string>> JsonlColumns(std::string_view line);
// JsonlRow maps one JSON object onto `columns`: integers to int64, other numbers to double,
// strings to strings, true/false to 1/0, null (or a missing key) to null, arrays and objects
// to their JSON text. A key not among `columns` is an error naming it, unless
// `ignore_unknown`. Text after the object (other than white space) is an error.
Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown);

// RowReader reads the rows of a JSONL or CSV file. Not thread-safe.
class RowReader {
 public:
  enum class Format { kJsonl, kCsv };

  // Open opens `path` and reads its columns: the keys of the first JSON object, or the CSV
  // header (a UTF-8 byte order mark before either is skipped). With `only` not empty, rows
  // hold just those columns, in that order, and other fields are ignored. Errors name the
  // file: unreadable, empty, a first line that is not an object, a header that repeats a
  // name, a column of `only` the header lacks.
  static Result<std::unique_ptr<RowReader>> Open(const std::string& path, Format format,
                                                 const std::vector<std::string>& only);
  virtual ~RowReader() = default;

  const std::vector<std::string>& columns() const { return columns_; }
  // Next reads the next row (values in columns() order; blank lines are skipped) and sets
  // *line to the line it starts on. Returns false at the end of the file. An error rejects
  // that record only: *line names it and the next call reads on.
  virtual Result<bool> Next(std::vector<store::Value>* row, size_t* line) = 0;
  // bytes_read and file_size measure progress; file_size is 0 when it is not known (a pipe).
  uint64_t bytes_read() const { return bytes_; }
  uint64_t file_size() const { return size_; }

 protected:
  RowReader() = default;

  std::ifstream in_;
  std::vector<std::string> columns_;
  size_t line_ = 0;     // lines consumed so far
  uint64_t bytes_ = 0;  // bytes consumed so far
  uint64_t size_ = 0;
};

// Reject is one rejected record: the line it starts on and why.
struct Reject {
  size_t line = 0;
  std::string reason;
  bool operator<(const Reject& o) const { return line < o.line; }
};

struct LoadReport {
  static constexpr size_t kMaxReasons = 10;

  uint64_t written = 0;
  uint64_t rejected = 0;
  std::vector<Reject> first_rejects;  // the lowest lines, sorted, at most kMaxReasons
  Status finish;                      // what sink.Finish() returned
};

// LoadRows moves every row of `reader` into `sink`, keeping at most sink.concurrency() writes
// unfinished, then calls sink.Finish(). `progress(rows_written, bytes_read)` is called on
// this thread after each row (it decides itself how often to show anything).
// REQUIRES: sink.Begin(table, reader.columns()) succeeded.
LoadReport LoadRows(RowReader& reader, RowSink& sink,
                    const std::function<void(uint64_t rows, uint64_t bytes)>& progress);

// FormatProgress renders one progress report: for a terminal "[####----] 45% 12,345 rows
// 8,910 rows/s ETA 0:07", otherwise "load: 12345 rows (8910 rows/s), 45% of FILE". With
// `total_bytes` 0 (unknown size) the percentage and ETA are left out.
std::string FormatProgress(bool terminal, uint64_t rows, double seconds, uint64_t bytes,
                           uint64_t total_bytes, std::string_view file);

// LoadCommand runs `shoal load` with `args` (after the word "load"); returns the exit status.
// The summary goes to stdout, progress and errors to stderr.
int LoadCommand(std::span<const std::string_view> args);

}  // namespace shoal::cli
