#include "base/json.h"

#include <string>

#include <gtest/gtest.h>

#include "base/utf8.h"

namespace shoal {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonStringTest, PlainAsciiPassesThrough) {
  EXPECT_EQ(Quote("hello world"), "\"hello world\"");
}

TEST(JsonStringTest, QuotesBackslashesAndShortEscapes) {
  EXPECT_EQ(Quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonStringTest, EveryOtherControlCharacterIsUnicodeEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') continue;
    std::string in(1, static_cast<char>(c));
    char expected[16];
    std::snprintf(expected, sizeof expected, "\"\\u%04x\"", c);
    EXPECT_EQ(Quote(in), expected) << c;
  }
  EXPECT_EQ(Quote(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonStringTest, ValidUtf8PassesThrough) {
  const std::string s = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80";  // café 日本 😀
  EXPECT_EQ(Quote(s), "\"" + s + "\"");
}

TEST(JsonStringTest, InvalidUtf8IsReplaced) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Quote("a\xFF"
                  "b"),
            "\"a" + r + "b\"");                                       // bad lead byte
  EXPECT_EQ(Quote("\xC3"), "\"" + r + "\"");                          // truncated at the end
  EXPECT_EQ(Quote("\xE6\x97x"), "\"" + r + r + "x\"");                // truncated in the middle
  EXPECT_EQ(Quote("\xC0\xAF"), "\"" + r + r + "\"");                  // overlong '/'
  EXPECT_EQ(Quote("\xE0\x80\xAF"), "\"" + r + r + r + "\"");          // overlong 3-byte
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"" + r + r + r + "\"");          // surrogate U+D800
  EXPECT_EQ(Quote("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // above U+10FFFF
  EXPECT_EQ(Quote("\x80"), "\"" + r + "\"");                          // lone continuation byte
}

TEST(IsValidUtf8Test, AcceptsWhatPassesThroughAndRefusesWhatWouldBeReplaced) {
  for (std::string_view ok :
       {"", "plain", "h\xc3\xa9llo", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
    EXPECT_EQ(Quote(ok), "\"" + std::string(ok) + "\"");
  }
  for (std::string_view bad : {"\xff", "a\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                               "\xf4\x90\x80\x80", "ok\xe2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

}  // namespace
}  // namespace shoal
