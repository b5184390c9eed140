#include "cli/spdlog_logger.h"

#include <atomic>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "base/json.h"

namespace shoal::cli {

namespace {

spdlog::level::level_enum SpdLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

class SpdLogger final : public Logger {
 public:
  explicit SpdLogger(const LogOptions& o)
      : min_(o.level),
        format_(o.format),
        logger_("shoal", std::make_shared<spdlog::sinks::stderr_sink_mt>()) {
    logger_.set_level(SpdLevel(o.level));
    // Level, component and message are formatted in Write (with our level names: spdlog says
    // "warning"), so spdlog adds only the time.
    logger_.set_pattern(format_ == LogFormat::kJson ? R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z",%v})"
                                                    : "%Y-%m-%dT%H:%M:%S.%e%z %v");
    logger_.flush_on(spdlog::level::trace);  // stderr is unbuffered anyway; keep lines whole
  }

  bool Enabled(LogLevel level) const override {
    return level >= min_.load(std::memory_order_relaxed) && level != LogLevel::kOff;
  }

  void SetLevel(LogLevel level) {
    min_.store(level, std::memory_order_relaxed);
    logger_.set_level(SpdLevel(level));  // spdlog's level is atomic too
  }

  void Write(LogLevel level, std::string_view component, std::string_view message) override {
    std::string line;
    line.reserve(component.size() + message.size() + 32);
    const std::string_view level_name = LogLevelName(level);
    if (format_ == LogFormat::kJson) {
      line += "\"level\":\"";
      line += level_name;
      line += "\",\"component\":";
      AppendJsonString(line, component);
      line += ",\"msg\":";
      AppendJsonString(line, message);
    } else {
      line += level_name;
      line.append(6 - level_name.size(), ' ');  // "error" is the longest name
      line += '[';
      line += component;
      line += "] ";
      line += message;
    }
    logger_.log(SpdLevel(level), std::string_view(line));
  }

 private:
  std::atomic<LogLevel> min_;  // a reload may change it (SetLogLevel)
  const LogFormat format_;
  spdlog::logger logger_;
};

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::unique_ptr<Logger> MakeLogger(const LogOptions& options) {
  return std::make_unique<SpdLogger>(options);
}

bool SetLogLevel(Logger& logger, LogLevel level) {
  auto* spd = dynamic_cast<SpdLogger*>(&logger);
  if (spd == nullptr) return false;
  spd->SetLevel(level);
  return true;
}

}  // namespace shoal::cli
