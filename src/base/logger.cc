#include "base/logger.h"

#include <iterator>
#include <limits>

#include "base/name_table.h"

namespace shoal {

namespace {

class Null final : public Logger {
 public:
  bool Enabled(LogLevel /*level*/) const override { return false; }
  void Write(LogLevel /*level*/, std::string_view /*component*/,
             std::string_view /*message*/) override {}
};

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  static constexpr std::string_view kNames[] = {"debug", "info", "warn", "error", "off"};
  static_assert(std::size(kNames) == static_cast<size_t>(LogLevel::kOff) + 1,
                "one name per LogLevel");
  return NameAt(kNames, level, "off");
}

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  if (text == "off") return LogLevel::kOff;
  return std::nullopt;
}

Logger& NullLogger() {
  static Null null;
  return null;
}

void LogLimiter::Write(const Log& log, LogLevel level, std::string_view message, TimePoint now) {
  if (!log.Enabled(level)) return;
  const Duration::rep t = now.time_since_epoch().count();
  Duration::rep start = window_start_.load(std::memory_order_acquire);
  if (start == std::numeric_limits<Duration::rep>::min() || t - start >= interval_.count()) {
    // A new window: whoever wins the CAS resets the count; losers count in the new window.
    if (window_start_.compare_exchange_strong(start, t, std::memory_order_acq_rel)) {
      in_window_.store(0, std::memory_order_release);
    }
  }
  if (in_window_.fetch_add(1, std::memory_order_acq_rel) >= burst_) {
    dropped_since_.fetch_add(1, std::memory_order_relaxed);
    suppressed_total_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t dropped = dropped_since_.exchange(0, std::memory_order_relaxed);
  if (dropped == 0) {
    log.Write(level, message);
  } else {
    std::string line(message);
    line += " (";
    line += std::to_string(dropped);
    line += " similar lines suppressed)";
    log.Write(level, line);
  }
}

}  // namespace shoal
