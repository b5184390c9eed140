// UTF-8 validation, written once: RFC 3629's well-formed sequences only (no overlong forms, no
// UTF-16 surrogates, nothing above U+10FFFF). The JSON writer (replacing what is not valid),
// the JSON checker, the router (parameters, checked while they are percent-decoded) and the
// Cassandra store (text before it is bound) all use it.
//
// Utf8Validator takes one byte at a time, so a caller that produces bytes on the fly (a
// percent-decoder) needs no buffer. Plain values; thread-compatible.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

class Utf8Validator {
 public:
  // Feed takes the next byte; false once the bytes fed so far cannot begin valid UTF-8 (the
  // validator must not be fed again after that).
  bool Feed(unsigned char b) {
    if (need_ > 0) {
      if (b < lo_ || b > hi_) return false;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
      return true;
    }
    if (b < 0x80) return true;
    if (b >= 0xC2 && b <= 0xDF) {
      need_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need_ = 2;
      if (b == 0xE0) lo_ = 0xA0;  // overlong
      if (b == 0xED) hi_ = 0x9F;  // surrogate
    } else if (b >= 0xF0 && b <= 0xF4) {
      need_ = 3;
      if (b == 0xF0) lo_ = 0x90;  // overlong
      if (b == 0xF4) hi_ = 0x8F;  // above U+10FFFF
    } else {
      return false;  // a continuation byte first, C0, C1 or F5..FF
    }
    return true;
  }

  // Complete says whether the bytes fed so far end on a character boundary.
  bool Complete() const { return need_ == 0; }

 private:
  int need_ = 0;                         // continuation bytes still expected
  unsigned char lo_ = 0x80, hi_ = 0xBF;  // the range of the next continuation byte
};

// Utf8SequenceLength returns the length (1 to 4) of the valid UTF-8 sequence starting at s[i],
// or 0 when there is none. REQUIRES: i < s.size().
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  Utf8Validator v;
  for (size_t k = i; k < s.size() && k < i + 4; ++k) {
    if (!v.Feed(static_cast<unsigned char>(s[k]))) return 0;
    if (v.Complete()) return k - i + 1;
  }
  return 0;
}

// IsValidUtf8 says whether all of `s` is valid UTF-8.
inline bool IsValidUtf8(std::string_view s) {
  Utf8Validator v;
  for (const char c : s) {
    if (!v.Feed(static_cast<unsigned char>(c))) return false;
  }
  return v.Complete();
}

}  // namespace shoal
