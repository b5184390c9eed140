// JsonlSource: see jsonl_source.h.
#include "ingest/jsonl_source.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

#include <rapidjson/allocators.h>
#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/numbers.h"

namespace shoal::ingest {
namespace {

using internal::IsBlank;

std::string JsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

store::Value ToValue(const rapidjson::Value& v) {
  if (v.IsNull()) return store::Value();
  if (v.IsBool()) return int64_t{v.GetBool() ? 1 : 0};
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsNumber()) return v.GetDouble();  // non-integral, or beyond int64
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  return JsonText(v);  // arrays and objects
}

// ExactNumbers is a SAX handler that builds a Document like the Document's own, except that
// RapidJSON hands it each number's text (kParseNumbersAsStringsFlag) and it parses the text
// with base/numbers.h: correctly rounded (RapidJSON's default parsing read 2,405 of 20,000
// doubles written by Python's repr 1-2 ULP off) and keeping "-0" as the double -0.0 (RapidJSON
// makes it the integer 0). Integers stay integers: int64, or uint64 above that (a double at
// the top level, exact in nested JSON text).
class ExactNumbers {
 public:
  explicit ExactNumbers(rapidjson::Document& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return doc_.EndObject(n); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc_.EndArray(n); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    const std::string_view text(s, n);
    if (text != "-0") {
      if (std::optional<int64_t> i = ParseInt64(text)) return doc_.Int64(*i);
      uint64_t u = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
      if (ec == std::errc() && end == text.data() + text.size()) return doc_.Uint64(u);
    }
    if (std::optional<double> d = ParseDouble(text)) return doc_.Double(*d);
    error_ = "number out of range: " + std::string(text.substr(0, 64));
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  rapidjson::Document& doc_;
  std::string error_;
};

// A line's document lives in a pool that starts on the stack: most rows need no heap
// allocation for the parse at all.
class LineDocument {
 public:
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): buffer_ is the pool's, unread.
  LineDocument() : pool_(buffer_, sizeof(buffer_)), doc_(&pool_) {}

  // Parse parses `line`, which must hold one JSON object and nothing after it.
  Status Parse(std::string_view line) {
    rapidjson::ParseResult result;
    std::string number_error;
    auto parse = [&](rapidjson::Document& doc) {
      rapidjson::MemoryStream bytes(line.data(), line.size());
      rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
      ExactNumbers handler(doc);
      rapidjson::Reader reader;
      result = reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, handler);
      number_error = handler.error();
      return !result.IsError();
    };
    doc_.Populate(parse);
    if (!number_error.empty()) return Status::InvalidArgument("not JSON: " + number_error);
    if (result.IsError()) {
      return Status::InvalidArgument(std::string("not JSON: ") +
                                     rapidjson::GetParseError_En(result.Code()) + " (at byte " +
                                     std::to_string(result.Offset() + 1) + ")");
    }
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
