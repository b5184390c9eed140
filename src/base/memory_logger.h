// MemoryLogger: a Logger that keeps its lines in memory, for tests to assert on (userver's
// mem_logger). Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "base/mutex.h"

namespace shoal {

class MemoryLogger final : public Logger {
 public:
  struct Line {
    LogLevel level;
    std::string component;
    std::string message;
  };

  explicit MemoryLogger(LogLevel min = LogLevel::kDebug) : min_(min) {}

  bool Enabled(LogLevel level) const override { return level >= min_ && level != LogLevel::kOff; }
  void Write(LogLevel level, std::string_view component, std::string_view message) override {
    MutexLock lock(mu_);
    lines_.push_back(Line{level, std::string(component), std::string(message)});
  }

  // lines returns a copy of everything written so far.
  std::vector<Line> lines() const {
    MutexLock lock(mu_);
    return lines_;
  }
  // Count returns how many lines of `component` contain `needle`.
  size_t Count(std::string_view component, std::string_view needle) const {
    MutexLock lock(mu_);
    size_t n = 0;
    for (const Line& l : lines_) {
      if (l.component == component && l.message.find(needle) != std::string::npos) ++n;
    }
    return n;
  }

 private:
  const LogLevel min_;
  mutable Mutex mu_;
  std::vector<Line> lines_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal
