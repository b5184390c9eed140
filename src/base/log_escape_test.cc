// Unit tests of EscapeForLog and AppendEscapedForLog (base/log_escape.h).
#include "base/log_escape.h"

#include <string>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(LogEscapeTest, PrintableTextIsKept) {
  EXPECT_EQ(EscapeForLog("peer 10.0.0.5:7070 said: ok (fine)"),
            "peer 10.0.0.5:7070 said: ok (fine)");
}

TEST(LogEscapeTest, ControlBytesNewlinesAndEscapesBecomeHex) {
  EXPECT_EQ(EscapeForLog("a\r\nshoal: fake line\x1b[31m"), "a\\x0d\\x0ashoal: fake line\\x1b[31m");
  EXPECT_EQ(EscapeForLog(std::string("nul\0del\x7f\xff", 9)), "nul\\x00del\\x7f\\xff");
}

TEST(LogEscapeTest, BackslashIsDoubledSoAnEscapeCannotBeForged) {
  EXPECT_EQ(EscapeForLog("\\x0a"), "\\\\x0a");
}

TEST(LogEscapeTest, LongTextIsCutAndSaysHowLongItWas) {
  const std::string long_text(1000, 'a');
  const std::string out = EscapeForLog(long_text, 10);
  EXPECT_EQ(out, "aaaaaaaaaa...(1000 bytes)");
  EXPECT_LE(EscapeForLog(std::string(5000, '\n')).size(), 4 * kLogEscapeMax + 32);
}

TEST(LogEscapeTest, AppendQuotedEscapesTheDoubleQuoteToo) {
  std::string out = "x=";
  AppendEscapedForLog(out, "say \"hi\"\n\\", /*quote=*/true);
  EXPECT_EQ(out, "x=say \\x22hi\\x22\\x0a\\\\");
  out.clear();
  AppendEscapedForLog(out, "say \"hi\"");  // unquoted: as EscapeForLog
  EXPECT_EQ(out, EscapeForLog("say \"hi\""));
  EXPECT_EQ(out, "say \"hi\"");
}

}  // namespace
}  // namespace shoal
