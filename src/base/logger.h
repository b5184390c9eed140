// Logger: where libraries send what an operator should read. cli injects the real one.
//
// Every library that logs takes a `Logger*` in its Options (as LevelDB's Options::info_log);
// the default is NullLogger(), which drops everything, so a library never needs a nil check and
// never writes to stderr by itself. cli supplies a spdlog-backed Logger (cli/spdlog_logger.h);
// tests supply a MemoryLogger (base/memory_logger.h) and assert on what was written.
//
// A library keeps a `Log`: the Logger plus its component name ("rpc", "cluster", "cassandra",
// "sqlite", "http"), which every line carries. Logging is for state changes and faults, never
// per request at info level: a peer that goes down logs once when it goes down and once when it
// comes back. For faults that can repeat per request (a malformed frame from one client, a query
// that fails each time), LogLimiter lets a few lines through per interval and counts the rest.
//
// Thread-safety: Logger implementations are thread-safe; Log is an immutable value;
// LogLimiter is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace shoal {

enum class LogLevel : uint8_t { kDebug = 0, kInfo, kWarn, kError, kOff };

// LogLevelName returns "debug", "info", "warn", "error" or "off".
std::string_view LogLevelName(LogLevel level);
// ParseLogLevel reads one of LogLevelName's words ("warning" too); nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view text);

class Logger {
 public:
  virtual ~Logger() = default;
  // Enabled says whether a line at `level` would be written; callers test it before building
  // an expensive message.
  virtual bool Enabled(LogLevel level) const = 0;
  // Write writes one line. `component` names the library; `message` has no trailing newline.
  virtual void Write(LogLevel level, std::string_view component, std::string_view message) = 0;
};

// NullLogger returns a process-wide Logger that writes nothing.
Logger& NullLogger();

// Log is one component's handle on a Logger. Cheap to copy; the Logger must outlive it.
class Log {
 public:
  Log() : sink_(&NullLogger()) {}
  Log(Logger* sink, std::string_view component)
      : sink_(sink != nullptr ? sink : &NullLogger()), component_(component) {}

  bool Enabled(LogLevel level) const { return sink_->Enabled(level); }
  void Write(LogLevel level, std::string_view message) const {
    if (sink_->Enabled(level)) sink_->Write(level, component_, message);
  }
  void Debug(std::string_view message) const { Write(LogLevel::kDebug, message); }
  void Info(std::string_view message) const { Write(LogLevel::kInfo, message); }
  void Warn(std::string_view message) const { Write(LogLevel::kWarn, message); }
  void Error(std::string_view message) const { Write(LogLevel::kError, message); }

  Logger* sink() const { return sink_; }
  std::string_view component() const { return component_; }

 private:
  Logger* sink_;
  std::string_view component_;  // a string literal
};

// LogLimiter lets at most `burst` lines through per `interval`; the first line let through
// after a suppressed stretch says how many were dropped. For faults that can repeat once per
// request. Lock-free: one CAS per window change.
class LogLimiter {
 public:
  LogLimiter(Duration interval, uint32_t burst) : interval_(interval), burst_(burst) {}

  // Write logs `message` at `level` if this window has room; otherwise counts it.
  void Write(const Log& log, LogLevel level, std::string_view message, TimePoint now);
  void Write(const Log& log, LogLevel level, std::string_view message) {
    Write(log, level, message, std::chrono::steady_clock::now());
  }
  // suppressed returns how many lines were dropped in all (for tests and metrics).
  uint64_t suppressed() const { return suppressed_total_.load(std::memory_order_relaxed); }

 private:
  const Duration interval_;
  const uint32_t burst_;
  std::atomic<Duration::rep> window_start_{std::numeric_limits<Duration::rep>::min()};
  std::atomic<uint32_t> in_window_{0};
  std::atomic<uint64_t> dropped_since_{0};
  std::atomic<uint64_t> suppressed_total_{0};
};

}  // namespace shoal
