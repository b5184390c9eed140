#include "base/numbers.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace shoal {

namespace {

template <typename T>
void AppendInteger(std::string& out, T v) {
  char buf[24];  // any 64-bit integer with its sign
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, static_cast<size_t>(end - buf));
}

template <typename T>
void AppendJsonFloating(std::string& out, T v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char buf[32];  // the longest shortest form of a double is 24 characters
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

}  // namespace

void AppendInt(std::string& out, int64_t v) { AppendInteger(out, v); }
void AppendUint(std::string& out, uint64_t v) { AppendInteger(out, v); }
void AppendJsonDouble(std::string& out, double v) { AppendJsonFloating(out, v); }
void AppendJsonFloat(std::string& out, float v) { AppendJsonFloating(out, v); }

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view text) {
  // from_chars accepts "inf", "nan" and hex-free forms; keep to digits, sign, '.', exponent.
  bool digit = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
      return std::nullopt;
    }
  }
  if (!digit || text.front() == '+' || text.front() == '.' || text.back() == '.') {
    return std::nullopt;
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace shoal
