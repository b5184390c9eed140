// JsonlSource: see jsonl_source.h.
#include "ingest/jsonl_source.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <rapidjson/allocators.h>
#include <rapidjson/document.h>

#include "ingest/json_value.h"

namespace shoal::ingest {
namespace {

using internal::IsBlank;

// A line's document lives in a pool that starts on the stack: most rows need no heap
// allocation for the parse at all.
class LineDocument {
 public:
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): buffer_ is the pool's, unread.
  LineDocument() : pool_(buffer_, sizeof(buffer_)), doc_(&pool_) {}

  // Parse parses `line`, which must hold one JSON object and nothing after it.
  Status Parse(std::string_view line) {
    if (Status s = ParseExactJson(line, &doc_); !s.ok()) return s;
    if (!doc_.IsObject()) return Status::InvalidArgument("not a JSON object");
    return Status::Ok();
  }
  rapidjson::Document::ConstObject object() const { return doc_.GetObject(); }

 private:
  // Not zeroed (once per line): the pool only hands out what it then writes.
  char buffer_[4096];  // NOLINT(cppcoreguidelines-pro-type-member-init)
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_;
};

}  // namespace

Result<std::vector<std::string>> JsonlColumns(std::string_view line) {
  LineDocument doc;
  if (Status s = doc.Parse(line); !s.ok()) return s;
  std::vector<std::string> columns;
  for (const auto& m : doc.object()) {
    columns.emplace_back(m.name.GetString(), m.name.GetStringLength());
  }
  if (columns.empty()) return Status::InvalidArgument("the object has no keys");
  if (Status s = internal::CheckNames(columns, "the object"); !s.ok()) return s;
  return columns;
}

Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown) {
  LineDocument doc;
  if (Status s = doc.Parse(line); !s.ok()) return s;
  std::vector<store::Value> row(columns.size());
  for (const auto& m : doc.object()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const auto it = std::find(columns.begin(), columns.end(), key);
    if (it == columns.end()) {
      if (ignore_unknown) continue;
      return Status::InvalidArgument("unknown key '" + std::string(key) +
                                     "' (the first object's keys are the columns)");
    }
    row[static_cast<size_t>(it - columns.begin())] = ToValue(m.value);
  }
  return row;
}

Status JsonlSource::Open(const std::string& path, const std::vector<std::string>& only) {
  if (Status s = OpenFile(path); !s.ok()) return s;
  while (std::getline(in_, text_)) {
    ++line_;
    bytes_ += text_.size() + 1;
    if (line_ == 1) internal::StripBom(&text_);
    if (!IsBlank(text_)) break;
  }
  if (IsBlank(text_)) {
    return Status::InvalidArgument(path + " holds no rows (expected a JSON object a line)");
  }
  first_pending_ = true;
  if (!only.empty()) {
    columns_ = only;
    ignore_unknown_ = true;
    return Status::Ok();
  }
  Result<std::vector<std::string>> keys = JsonlColumns(text_);
  if (!keys.ok()) {
    return Status::InvalidArgument(path + ":" + std::to_string(line_) + ": " +
                                   std::string(keys.status().message()) +
                                   " (the first object's keys are the columns)");
  }
  columns_ = std::move(keys).value();
  return Status::Ok();
}

Result<bool> JsonlSource::Next(std::vector<store::Value>* row, size_t* line) {
  if (first_pending_) {
    first_pending_ = false;
  } else {
    do {
      if (!std::getline(in_, text_)) return false;
      ++line_;
      bytes_ += text_.size() + 1;
    } while (IsBlank(text_));
  }
  *line = line_;
  Result<std::vector<store::Value>> r = JsonlRow(text_, columns_, ignore_unknown_);
  if (!r.ok()) return r.status();
  *row = std::move(r).value();
  return true;
}

}  // namespace shoal::ingest
