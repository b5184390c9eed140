#include "base/json.h"

#include <array>
#include <cstdint>

namespace shoal {
namespace {

// kEscape[c] is the character after '\' for the short escapes, 'u' for \u00XX, or 0 when the
// ASCII byte c passes through unchanged.
constexpr std::array<char, 128> MakeEscapeTable() {
  std::array<char, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = 'u';
  const auto set = [&t](char c, char e) { t[static_cast<unsigned char>(c)] = e; };
  set('\b', 'b');
  set('\f', 'f');
  set('\n', 'n');
  set('\r', 'r');
  set('\t', 't');
  set('"', '"');
  set('\\', '\\');
  return t;
}
constexpr std::array<char, 128> kEscape = MakeEscapeTable();

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// ValidUtf8Length returns the length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80),
// or 0 when it is invalid (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
size_t ValidUtf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = ValidUtf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  size_t run = 0;  // start of the pending run of bytes copied as they are
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      const char e = kEscape[c];
      if (e == 0) {
        ++i;
        continue;
      }
      out.append(s.data() + run, i - run);
      out.push_back('\\');
      out.push_back(e);
      if (e == 'u') {
        out.append("00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      }
      run = ++i;
      continue;
    }
    const size_t n = ValidUtf8Length(s, i);
    if (n != 0) {
      i += n;
      continue;
    }
    // Invalid: replace one byte at a time; the next byte is examined afresh.
    out.append(s.data() + run, i - run);
    out.append(kReplacement, 3);
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace shoal
