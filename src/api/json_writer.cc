// JsonWriter; see json_writer.h. Pure code, no shared state.
#include "api/json_writer.h"

#include <cstddef>

#include "base/base64.h"
#include "base/json.h"
#include "base/numbers.h"

namespace shoal::api {

void JsonWriter::BeforeValue() {
  if (need_comma_) out_.push_back(',');
  need_comma_ = true;
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  need_comma_ = false;  // the first member or element follows without one
}

void JsonWriter::Close(char bracket) {
  out_.push_back(bracket);
  need_comma_ = true;
}

void JsonWriter::BeginObject() { Open('{'); }
void JsonWriter::EndObject() { Close('}'); }
void JsonWriter::BeginArray() { Open('['); }
void JsonWriter::EndArray() { Close(']'); }

void JsonWriter::Key(std::string_view name) {
  BeforeValue();
  AppendJsonString(out_, name);
  out_.push_back(':');
  need_comma_ = false;
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  AppendInt(out_, v);
}

void JsonWriter::Double(double v) {
  BeforeValue();
  AppendJsonDouble(out_, v);
}

void JsonWriter::String(std::string_view v) {
  BeforeValue();
  AppendJsonString(out_, v);
}

void JsonWriter::Base64(std::string_view data) {
  BeforeValue();
  out_.push_back('"');
  AppendBase64(out_, data);
  out_.push_back('"');
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
}

}  // namespace shoal::api
