// Internal to ingest/: what the file sources (jsonl_source, csv_source) share. Not for use
// outside this folder. Thread-safety: as RowSource (one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/source.h"

namespace shoal::ingest::internal {

// IsBlank: nothing but spaces, tabs and a CR.
bool IsBlank(std::string_view line);
// StripBom removes a UTF-8 byte order mark from the start of `text`.
void StripBom(std::string* text);
// CheckNames refuses an empty or repeated column name; `what` starts the message.
Status CheckNames(const std::vector<std::string>& names, std::string_view what);

// FileSource keeps what every file source keeps: the stream, the columns, and how many lines
// and bytes it has consumed of how many.
class FileSource : public RowSource {
 public:
  // Open opens `path` and reads what comes before the first row (a CSV header, a first JSON
  // object), keeping `only` of its columns (OpenFileSource in source.h says more).
  // REQUIRES: called once, before anything else.
  virtual Status Open(const std::string& path, const std::vector<std::string>& only) = 0;

  const std::vector<std::string>& columns() const override { return columns_; }
  uint64_t bytes_read() const override { return bytes_; }
  uint64_t total_bytes() const override { return size_; }

 protected:
  // OpenFile opens `path` for reading and measures it (0 for what is not a regular file).
  // NotFound "cannot read PATH" when it cannot be opened.
  Status OpenFile(const std::string& path);

  std::ifstream in_;
  std::vector<std::string> columns_;
  size_t line_ = 0;     // lines consumed so far
  uint64_t bytes_ = 0;  // bytes consumed so far
  uint64_t size_ = 0;
};

}  // namespace shoal::ingest::internal
