// IsValidJson: a strict RFC 8259 recogniser; see json_check.h. Pure code, no shared state.
#include "api/json_check.h"

#include <cstddef>

#include "base/utf8.h"

namespace shoal::api {
namespace {

// Checker is a recursive-descent recogniser for RFC 8259: it consumes one value at pos_ and
// says whether it is well formed, tracking depth so hostile input cannot exhaust the stack.
class Checker {
 public:
  explicit Checker(std::string_view s) : s_(s) {}

  bool Document() {
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  unsigned char Peek() const { return static_cast<unsigned char>(s_[pos_]); }

  void SkipSpace() {
    while (!AtEnd()) {
      const unsigned char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Value(int depth) {
    if (AtEnd()) return false;
    switch (Peek()) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  bool Object(int depth) {
    if (depth > kMaxJsonDepth) return false;
    ++pos_;  // '{'
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"' || !String()) return false;
      SkipSpace();
      if (AtEnd() || Peek() != ':') return false;
      ++pos_;
      SkipSpace();
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return false;
      ++pos_;
    }
  }

  bool Array(int depth) {
    if (depth > kMaxJsonDepth) return false;
    ++pos_;  // '['
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return false;
      ++pos_;
    }
  }

  bool Digits() {
    const size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  // number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
  bool Number() {
    if (Peek() == '-') ++pos_;
    if (AtEnd()) return false;
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }

  // Hex4 reads the four hex digits of a \u escape.
  bool Hex4(unsigned* out) {
    if (s_.size() - pos_ < 4) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned char c = Peek();
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10u;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10u;
      } else {
        return false;
      }
      v = v * 16 + d;
      ++pos_;
    }
    *out = v;
    return true;
  }

  // Escape consumes what follows a backslash. A high surrogate escape must be followed by a
  // low one, and a low one may not stand alone: a lone surrogate decodes to no character.
  bool Escape() {
    if (AtEnd()) return false;
    const unsigned char c = Peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    unsigned unit;
    if (!Hex4(&unit)) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (!Literal("\\u")) return false;
    unsigned low;
    return Hex4(&low) && low >= 0xDC00 && low <= 0xDFFF;
  }

  // Utf8 consumes one multi-byte UTF-8 sequence (base/utf8.h's rules).
  bool Utf8() {
    const size_t n = Utf8SequenceLength(s_, pos_);
    if (n == 0) return false;
    pos_ += n;
    return true;
  }

  bool String() {
    ++pos_;  // opening quote
    while (!AtEnd()) {
      const unsigned char c = Peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c == '\\') {
        ++pos_;
        if (!Escape()) return false;
      } else if (c < 0x80) {
        ++pos_;
      } else if (!Utf8()) {
        return false;
      }
    }
    return false;  // unterminated
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

bool IsValidJson(std::string_view text) { return Checker(text).Document(); }

}  // namespace shoal::api
