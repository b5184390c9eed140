// Percent-encoding for the router; see percent_encoding.h.
#include "api/percent_encoding.h"

namespace shoal::api {

// DecodedLength sets *length to the decoded size of `s`; false on a malformed escape.
bool DecodedLength(std::string_view s, size_t* length) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    char c;
    if (!NextByte(s, &i, &c)) return false;
    ++n;
  }
  *length = n;
  return true;
}

// Decode returns `s` decoded. REQUIRES: DecodedLength(s) succeeded.
std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = 0;
    if (!NextByte(s, &i, &c)) break;
    out.push_back(c);
  }
  return out;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendEncodedByte(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (IsUnreserved(c)) {
    out.push_back(c);
    return;
  }
  const auto b = static_cast<unsigned char>(c);
  out.push_back('%');
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 0xF]);
}

// AppendCanonical re-encodes the percent-encoded `s` canonically.
// REQUIRES: DecodedLength(s) succeeded.
void AppendCanonical(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char c = 0;
    if (!NextByte(s, &i, &c)) break;
    AppendEncodedByte(out, c);
  }
}

}  // namespace shoal::api
