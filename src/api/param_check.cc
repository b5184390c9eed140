// Parameter values: parsing an int64 from percent-encoded text, checking that a string is
// UTF-8, and checking a value against its parameter's type and bounds. See router_internal.h.
#include <limits>

#include "api/percent_encoding.h"
#include "api/router_internal.h"
#include "base/utf8.h"

namespace shoal::api {
namespace {

// ParseInt parses the percent-encoded `s` as [+-]digits fitting in int64.
bool ParseInt(std::string_view s, int64_t* out) {
  size_t i = 0;
  char c = 0;
  bool negative = false;
  if (s.empty() || !NextByte(s, &i, &c)) return false;
  if (c == '+' || c == '-') {
    negative = c == '-';
    if (i == s.size() || !NextByte(s, &i, &c)) return false;
  }
  // Accumulate negatively: the int64 range reaches one further below zero than above.
  int64_t v = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  while (true) {
    if (c < '0' || c > '9') return false;
    const int d = c - '0';
    if (v < (kMin + d) / 10) return false;
    v = v * 10 - d;
    if (i == s.size()) break;
    if (!NextByte(s, &i, &c)) return false;
  }
  if (!negative) {
    if (v == kMin) return false;
    v = -v;
  }
  *out = v;
  return true;
}

// Utf8Length decodes the percent-encoded `s` on the fly into *length bytes and reports
// whether they are well-formed UTF-8 (base/utf8.h). REQUIRES: DecodedLength(s) succeeded.
bool Utf8Length(std::string_view s, size_t* length) {
  Utf8Validator utf8;
  size_t i = 0;
  size_t n = 0;
  while (i < s.size()) {
    char c = 0;
    NextByte(s, &i, &c);
    ++n;
    if (!utf8.Feed(static_cast<unsigned char>(c))) return false;
  }
  *length = n;
  return utf8.Complete();
}

}  // namespace

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

Status CheckValue(const Router::Compiled::Param& p, std::string_view encoded, int64_t* int_value) {
  size_t length = 0;
  if (!DecodedLength(encoded, &length)) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + ": invalid percent-encoding");
  }
  int64_t v = 0;
  if (p.type == ParamType::kInt) {
    if (!ParseInt(encoded, &v)) {
      return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be an integer (int64)");
    }
    *int_value = v;
  } else {
    if (!Utf8Length(encoded, &length)) {
      return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be valid UTF-8 text");
    }
    v = static_cast<int64_t>(length);
  }
  const char* what = p.type == ParamType::kInt ? "" : " bytes long";
  if (p.min && v < *p.min) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be at least " +
                                   std::to_string(*p.min) + what);
  }
  if (p.max && v > *p.max) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be at most " +
                                   std::to_string(*p.max) + what);
  }
  return Status::Ok();
}

}  // namespace shoal::api
