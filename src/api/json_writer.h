// JsonWriter: appends compact JSON to a caller's std::string.
//
// The api renders query rows with JsonWriter: objects, arrays, keys and scalars, with the
// commas placed by the writer. Strings go through shoal::AppendJsonString (base/json.h), so
// the output is valid UTF-8 whatever bytes a database returns. Doubles go through
// shoal::AppendJsonDouble (base/numbers.h): the shortest form that reads back to the same value,
// ".0" kept on integral values; NaN and infinities, which JSON cannot express, become null.
// Blobs go through shoal::AppendBase64 (base/base64.h). The writer does not check that Begin/End
// calls pair up: that is the caller's job (a bug there is ours, not the client's).
//
// Ownership: a JsonWriter borrows the string it appends to, which must outlive it.
// Thread-safety: a JsonWriter is not thread-safe; the free functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shoal::api {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Key writes an object member's name; the next call writes its value.
  void Key(std::string_view name);

  void Null();
  void Bool(bool v);
  void Int(int64_t v);
  void Double(double v);
  void String(std::string_view v);     // escaped; invalid UTF-8 becomes U+FFFD
  void Base64(std::string_view data);  // a string holding `data` in base64
  // Raw appends `json` as a value without checking it. REQUIRES: IsValidJson(json) (json_check.h).
  void Raw(std::string_view json);

 private:
  // BeforeValue writes the comma that separates this value from the previous one.
  void BeforeValue();
  // Open starts an object or array with `bracket`; Close ends one.
  void Open(char bracket);
  void Close(char bracket);

  std::string& out_;
  // Whether a value was written at the current nesting level, so the next one needs a comma.
  // Cleared by Begin* and by Key (a member's value follows its name without a comma).
  bool need_comma_ = false;
};

}  // namespace shoal::api
