// See json_value.h.
#include "ingest/json_value.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/numbers.h"

namespace shoal::ingest {
namespace {

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

}  // namespace

Status ParseExactJson(std::string_view text, rapidjson::Document* doc) {
  rapidjson::ParseResult result;
  std::string number_error;
  auto parse = [&](rapidjson::Document& d) {
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
    ExactNumbers handler(d);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, handler);
    number_error = handler.error();
    return !result.IsError();
  };
  doc->Populate(parse);
  if (!number_error.empty()) return Status::InvalidArgument("not JSON: " + number_error);
  if (result.IsError()) {
    return Status::InvalidArgument(std::string("not JSON: ") +
                                   rapidjson::GetParseError_En(result.Code()) + " (at byte " +
                                   std::to_string(result.Offset() + 1) + ")");
  }
  return Status::Ok();
}

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

std::string ValueText(const rapidjson::Value& v) {
  if (v.IsBool()) return v.GetBool() ? "1" : "0";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.GetDouble());
    return ec == std::errc() ? std::string(buf, end) : JsonText(v);
  }
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  return JsonText(v);
}

}  // namespace shoal::ingest
