#include "base/json.h"

#include <array>
#include <cstdint>

#include "base/utf8.h"

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

}  // namespace

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
    const size_t n = Utf8SequenceLength(s, i);
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
