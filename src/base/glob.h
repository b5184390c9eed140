// GlobMatch: shell-style name patterns, as in `ignore_params: ["utm_*", "fbclid"]`.
//
// A pattern is bytes: '*' matches any run of bytes (the empty one too), '?' exactly one byte,
// and every other byte itself (case matters). There are no bracket expressions and no escapes:
// callers that check patterns (cli's config) refuse '[', ']' and '\' so both can be added
// later without changing what an existing pattern means.
//
// Why not fnmatch(3): it needs NUL-terminated strings, so a name read from a request (still
// percent-encoded, a view into the request buffer) would have to be decoded into a copy first,
// on the hit path, which allocates nothing. GlobMatchWith reads the text through a byte reader
// instead (api/percent_encoding.h's NextByte decodes on the fly). The tests check it against
// fnmatch(3) with flags 0 on every pattern this syntax allows.
//
// Cost: one pass, backtracking only to the last '*' (the classic greedy algorithm): at most
// O(|pattern| * |text|) steps, never exponential. Allocates nothing.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

// GlobMatchWith reports whether `text` matches `pattern`, reading `text` through `next`:
// `bool next(std::string_view text, size_t* pos, char* byte)` stores the byte at *pos in
// *byte and advances *pos past it, or returns false when the text is malformed there (then
// nothing matches).
template <typename NextByte>
bool GlobMatchWith(std::string_view pattern, std::string_view text, NextByte next) {
  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0;           // next pattern byte
  size_t t = 0;           // next text position
  size_t star_p = kNone;  // pattern position just after the last '*' seen
  size_t star_t = 0;      // text position that '*' matches up to (exclusive) so far
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    size_t after = t;
    char c = 0;
    if (!next(text, &after, &c)) return false;
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == c)) {
      ++p;
      t = after;
      continue;
    }
    if (star_p == kNone) return false;
    // Mismatch after a '*': let the '*' take one more byte and try again from there.
    if (!next(text, &star_t, &c)) return false;
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// GlobMatch reports whether the plain `text` matches `pattern`.
inline bool GlobMatch(std::string_view pattern, std::string_view text) {
  return GlobMatchWith(pattern, text, [](std::string_view s, size_t* pos, char* byte) {
    *byte = s[(*pos)++];
    return true;
  });
}

}  // namespace shoal
