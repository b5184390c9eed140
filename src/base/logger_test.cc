#include "base/logger.h"

#include <gtest/gtest.h>

#include "base/memory_logger.h"

namespace shoal {
namespace {

TEST(LoggerTest, LevelsParseAndName) {
  for (LogLevel l :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    EXPECT_EQ(ParseLogLevel(LogLevelName(l)), l);
  }
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
}

TEST(LoggerTest, LogCarriesItsComponentAndHonoursTheLevel) {
  MemoryLogger sink(LogLevel::kInfo);
  const Log log(&sink, "rpc");
  log.Debug("not written");
  log.Info("peer 10.0.0.2:7070 down");
  log.Error("boom");
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].component, "rpc");
  EXPECT_EQ(lines[0].level, LogLevel::kInfo);
  EXPECT_EQ(lines[0].message, "peer 10.0.0.2:7070 down");
  EXPECT_EQ(lines[1].level, LogLevel::kError);
}

TEST(LoggerTest, DefaultLogWritesNowhere) {
  const Log log;
  EXPECT_FALSE(log.Enabled(LogLevel::kError));
  log.Error("dropped");  // must not crash or print
  const Log null_sink(nullptr, "x");
  EXPECT_EQ(null_sink.sink(), &NullLogger());
}

TEST(LoggerTest, LimiterLetsABurstThroughPerIntervalAndCountsTheRest) {
  MemoryLogger sink;
  const Log log(&sink, "http");
  LogLimiter limiter(std::chrono::seconds(1), 2);
  const TimePoint t0{};
  for (int i = 0; i < 10; ++i) limiter.Write(log, LogLevel::kWarn, "bad frame", t0);
  EXPECT_EQ(sink.lines().size(), 2u);
  EXPECT_EQ(limiter.suppressed(), 8u);
  limiter.Write(log, LogLevel::kWarn, "bad frame", t0 + std::chrono::seconds(1));
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2].message, "bad frame (8 similar lines suppressed)");
}

}  // namespace
}  // namespace shoal
