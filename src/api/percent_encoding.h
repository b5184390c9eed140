// Percent-encoding (RFC 3986) as the router reads and writes it: decoding on the fly while
// comparing or parsing, so matching a request allocates nothing; and the canonical encoding of
// a key (every byte outside A-Z a-z 0-9 - . _ ~ written %XX in upper case). '+' is a plus
// sign, not a space: this is RFC 3986, not HTML form encoding.
//
// Internal to api (router.cc, router_build.cc, param_check.cc). Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shoal::api {

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// NextByte decodes the byte at s[*i] (a plain byte or a %XX escape) into *out and advances
// *i; false when the escape is malformed.
inline bool NextByte(std::string_view s, size_t* i, char* out) {
  if (s[*i] != '%') {
    *out = s[(*i)++];
    return true;
  }
  if (s.size() - *i < 3) return false;
  const int hi = HexValue(s[*i + 1]);
  const int lo = HexValue(s[*i + 2]);
  if (hi < 0 || lo < 0) return false;
  *out = static_cast<char>(hi * 16 + lo);
  *i += 3;
  return true;
}

// DecodedEquals reports whether `encoded` decodes to exactly `plain`.
inline bool DecodedEquals(std::string_view encoded, std::string_view plain) {
  // Nearly every request spells its path plainly: then it is a plain comparison.
  if (encoded.find('%') == std::string_view::npos) return encoded == plain;
  size_t i = 0, j = 0;
  while (i < encoded.size()) {
    char c;
    if (j == plain.size() || !NextByte(encoded, &i, &c) || c != plain[j]) return false;
    ++j;
  }
  return j == plain.size();
}

// DecodedLength sets *length to the decoded size of `s`; false on a malformed escape.
bool DecodedLength(std::string_view s, size_t* length);

// Decode returns `s` decoded. REQUIRES: DecodedLength(s) succeeded.
std::string Decode(std::string_view s);

bool IsUnreserved(char c);

// AppendEncodedByte appends `c` in canonical form: itself when unreserved, else %XX.
void AppendEncodedByte(std::string& out, char c);

// AppendCanonical re-encodes the percent-encoded `s` canonically.
// REQUIRES: DecodedLength(s) succeeded.
void AppendCanonical(std::string& out, std::string_view s);

}  // namespace shoal::api
