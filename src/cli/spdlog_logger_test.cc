#include "cli/spdlog_logger.h"

#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace shoal::cli {
namespace {

std::string Written(const LogOptions& o, LogLevel level, std::string_view component,
                    std::string_view message) {
  std::unique_ptr<Logger> logger = MakeLogger(o);
  testing::internal::CaptureStderr();
  if (logger->Enabled(level)) logger->Write(level, component, message);
  return testing::internal::GetCapturedStderr();
}

TEST(SpdLoggerTest, TextLinesCarryLevelAndComponent) {
  const std::string line = Written({}, LogLevel::kWarn, "cassandra", "10.0.0.3:9042 down");
  EXPECT_NE(line.find(" warn "), std::string::npos) << line;
  EXPECT_NE(line.find("[cassandra] 10.0.0.3:9042 down\n"), std::string::npos) << line;
}

TEST(SpdLoggerTest, LevelFiltersLines) {
  EXPECT_EQ(Written({}, LogLevel::kDebug, "rpc", "noise"), "");
  EXPECT_EQ(
      Written({.level = LogLevel::kOff, .format = LogFormat::kText}, LogLevel::kError, "rpc", "x"),
      "");
  EXPECT_NE(Written({.level = LogLevel::kDebug, .format = LogFormat::kText}, LogLevel::kDebug,
                    "rpc", "detail"),
            "");
}

// A config reload changes the level of the running logger.
TEST(SpdLoggerTest, SetLogLevelChangesTheLevelOfALoggerMadeByMakeLogger) {
  std::unique_ptr<Logger> logger = MakeLogger({});
  EXPECT_FALSE(logger->Enabled(LogLevel::kDebug));
  ASSERT_TRUE(SetLogLevel(*logger, LogLevel::kDebug));
  EXPECT_TRUE(logger->Enabled(LogLevel::kDebug));
  testing::internal::CaptureStderr();
  logger->Write(LogLevel::kDebug, "reload", "now visible");
  EXPECT_NE(testing::internal::GetCapturedStderr().find("[reload] now visible"), std::string::npos);
  ASSERT_TRUE(SetLogLevel(*logger, LogLevel::kError));
  EXPECT_FALSE(logger->Enabled(LogLevel::kWarn));
  EXPECT_FALSE(SetLogLevel(NullLogger(), LogLevel::kDebug)) << "not one of ours";
}

TEST(SpdLoggerTest, JsonLinesAreJsonEvenWithQuotesInTheMessage) {
  const std::string line = Written({.level = LogLevel::kInfo, .format = LogFormat::kJson},
                                   LogLevel::kError, "api", "query \"SELECT\" failed\n\tat x");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line: " << line;
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size() - 1);
  ASSERT_FALSE(doc.HasParseError()) << line;
  EXPECT_STREQ(doc["level"].GetString(), "error");
  EXPECT_STREQ(doc["component"].GetString(), "api");
  EXPECT_STREQ(doc["msg"].GetString(), "query \"SELECT\" failed\n\tat x");
  EXPECT_TRUE(doc["time"].IsString());
}

TEST(SpdLoggerTest, FormatsParse) {
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("yaml"), std::nullopt);
}

}  // namespace
}  // namespace shoal::cli
