// ParseDuration and ParseSize: the value syntax of the config; see config.h.
#include <charconv>
#include <string>

#include "cli/config.h"

namespace shoal::cli {

Result<Duration> ParseDuration(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  using std::chrono::duration_cast;
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("expected a duration such as 60s, 5m or 250ms, got '" +
                                   std::string(text) + "'");
  }
  // 10 years in any unit is the ceiling: it keeps every sum of deadlines far from overflow.
  // n is bounded per unit before the multiplication, so the product cannot wrap.
  constexpr uint64_t kMaxMs = 10ull * 365 * 24 * 3600 * 1000;
  uint64_t unit_ms = 0;
  if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "s") {
    unit_ms = 1000;
  } else if (unit == "m") {
    unit_ms = uint64_t{60} * 1000;
  } else if (unit == "h") {
    unit_ms = uint64_t{3600} * 1000;
  } else if (unit == "d") {
    unit_ms = uint64_t{24} * 3600 * 1000;
  } else {
    return Status::InvalidArgument("expected a duration unit ms, s, m, h or d in '" +
                                   std::string(text) + "'");
  }
  if (n > kMaxMs / unit_ms) {
    return Status::InvalidArgument("duration '" + std::string(text) + "' is too long");
  }
  const uint64_t ms = n * unit_ms;
  return duration_cast<Duration>(std::chrono::milliseconds(ms));
}

Result<size_t> ParseSize(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("expected a size such as 256MiB, got '" + std::string(text) +
                                   "'");
  }
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  uint64_t mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB") {
    mult = 1ull << 10;
  } else if (unit == "MiB") {
    mult = 1ull << 20;
  } else if (unit == "GiB") {
    mult = 1ull << 30;
  } else if (unit == "KB") {
    mult = 1000;
  } else if (unit == "MB") {
    mult = uint64_t{1000} * 1000;
  } else if (unit == "GB") {
    mult = uint64_t{1000} * 1000 * 1000;
  } else {
    return Status::InvalidArgument("unknown size unit in '" + std::string(text) +
                                   "' (B, KiB, MiB, GiB, KB, MB, GB)");
  }
  if (n > (1ull << 50) / mult) {
    return Status::InvalidArgument("size '" + std::string(text) + "' is too large");
  }
  return static_cast<size_t>(n * mult);
}

}  // namespace shoal::cli
