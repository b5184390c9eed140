// CsvSource: rows from an RFC 4180 CSV file with a header line. The header names the columns
// (or the caller's --columns picks some of them); every field is text as written, which the
// writer parses by the target column's type (values_are_text() is true): an empty unquoted
// field is null, a quoted one ("") the empty string.
//
// Ownership: owns the open file. Thread-safety: not thread-safe (RowSource).
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "ingest/source_internal.h"
#include "store/store.h"

namespace shoal::ingest {

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

class CsvSource final : public internal::FileSource {
 public:
  // Open opens `path` and reads its header (OpenFileSource in source.h says more).
  Status Open(const std::string& path, const std::vector<std::string>& only) override;

  // Next: a record with more or fewer fields than the header is rejected (most likely a
  // quoting mistake: loading it would put values in the wrong columns). Blank lines are
  // skipped.
  Result<bool> Next(std::vector<store::Value>* row, size_t* line) override;
  bool values_are_text() const override { return true; }

 private:
  size_t header_size_ = 0;
  std::vector<size_t> index_;  // the header position of each of columns_
  std::vector<CsvField> fields_;
};

}  // namespace shoal::ingest
