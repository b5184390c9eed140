// JsonlSource: rows from a file of one JSON object a line (JSONL, NDJSON). The first object's
// keys are the columns (or the caller's --columns); later objects may leave keys out (null)
// but not add new ones.
//
// Values map as JsonlRow says. Every number is parsed once from its text, correctly rounded
// (base/numbers.h; RapidJSON's default parsing is off by an ULP or two for about one double in
// ten), so a double written with its shortest round-trip text (Python's repr, std::to_chars)
// reads back bit for bit, -0 included.
//
// Ownership: owns the open file. Thread-safety: not thread-safe (RowSource).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/source_internal.h"
#include "store/store.h"

namespace shoal::ingest {

// JsonlColumns returns the keys of one JSON object, in order. No keys, or a key twice, is an
// error.
Result<std::vector<std::string>> JsonlColumns(std::string_view line);

// JsonlRow maps one JSON object onto `columns`: integers to int64, other numbers (with a
// point or an exponent, or beyond int64) to double, strings to strings, true/false to 1/0,
// null (or a missing key) to null, arrays and objects to their JSON text. A key not among
// `columns` is an error naming it, unless `ignore_unknown`. Text after the object (other than
// white space) is an error.
Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown);

class JsonlSource final : public internal::FileSource {
 public:
  // Open opens `path` and reads its first object (OpenFileSource in source.h says more).
  Status Open(const std::string& path, const std::vector<std::string>& only) override;

  Result<bool> Next(std::vector<store::Value>* row, size_t* line) override;
  bool values_are_text() const override { return false; }

 private:
  std::string text_;  // the current line
  bool first_pending_ = false;
  bool ignore_unknown_ = false;
};

}  // namespace shoal::ingest
