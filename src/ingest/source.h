// RowSource: where the rows of a load come from. A source yields records as rows of
// column -> value (columns() names them once; each row holds one value per column, in that
// order) and says where each record starts, so a rejected row can be named to the user.
//
// Sources today: a JSONL file (jsonl_source.h) and a CSV file (csv_source.h); OpenFileSource
// picks one by format. A source does not know the target table: the writer (writer.h) knows
// the columns' types and converts what it must. values_are_text() tells it how far the source
// typed its values: JSON has numbers, strings and null of its own; a CSV field is only text.
//
// Ownership: a source owns its input (the open file). Thread-safety: not thread-safe; one
// thread reads a source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace shoal::ingest {

class RowSource {
 public:
  virtual ~RowSource() = default;

  // columns names the values of every row, in order. Not empty, no name twice.
  virtual const std::vector<std::string>& columns() const = 0;

  // Next reads the next record into *row (one value per column; null where the record has
  // none) and sets *line to the line of the input it starts on. Returns false at the end. An
  // error rejects that record only: *line names it and the next call reads on.
  virtual Result<bool> Next(std::vector<store::Value>* row, size_t* line) = 0;

  // values_are_text is true when every non-null value is a string holding the field's text
  // as written (CSV), for the writer to parse by the column's declared type; false when the
  // source typed its values itself (JSON: integers, doubles, strings).
  virtual bool values_are_text() const = 0;

  // bytes_read and total_bytes measure progress; total_bytes is 0 when the size is not known
  // (a pipe).
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

enum class FileFormat { kJsonl, kCsv };

// OpenFileSource opens `path` as `format` and reads its columns: the keys of the first JSON
// object, or the CSV header (a UTF-8 byte order mark before either is skipped). With `only`
// not empty, rows hold just those columns, in that order, and other fields are ignored.
// Errors name the file: unreadable, empty, a first line that is not an object, a header that
// repeats a name, a column of `only` the header lacks.
Result<std::unique_ptr<RowSource>> OpenFileSource(const std::string& path, FileFormat format,
                                                  const std::vector<std::string>& only);

}  // namespace shoal::ingest
