// SpdLogger: the process's base::Logger, backed by spdlog, writing one line per call to stderr.
//
// cli makes one at start-up from the config's `log:` section (and --log-level) and hands it to
// every layer's Options; libraries never see spdlog. Two line formats:
//   text  2026-12-05T21:04:05.123+00:00 warn  [cassandra] 10.0.0.3:9042 down: connection reset
//   json  {"time":"2026-12-05T21:04:05.123+00:00","level":"warn","component":"cassandra",
//          "msg":"10.0.0.3:9042 down: connection reset"}      (one line; for log shippers)
// The level may change while the process runs (SetLogLevel, on a config reload).
// Thread-safe (spdlog's _mt sink serialises writes).
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "base/logger.h"

namespace shoal::cli {

enum class LogFormat { kText, kJson };

// ParseLogFormat reads "text" or "json".
std::optional<LogFormat> ParseLogFormat(std::string_view text);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

// MakeLogger returns a Logger writing to stderr at `options.level` and above.
std::unique_ptr<Logger> MakeLogger(const LogOptions& options);

// SetLogLevel changes the level of a Logger that MakeLogger made (lines from then on);
// false, changing nothing, for any other Logger.
bool SetLogLevel(Logger& logger, LogLevel level);

}  // namespace shoal::cli
