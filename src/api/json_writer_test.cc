// Tests for JsonWriter, AppendJsonDouble (as JsonWriter uses it) and IsValidJson.
#include "api/json_writer.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "api/json_check.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  JsonWriter(out).String(s);
  return out;
}

std::string Dbl(double d) {
  std::string out;
  AppendJsonDouble(out, d);
  return out;
}

TEST(JsonWriterTest, ObjectsArraysAndCommas) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.Int(1);
  w.Key("b");
  w.BeginArray();
  w.Null();
  w.Bool(true);
  w.Bool(false);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.String("x");
  w.EndArray();
  w.Key("c");
  w.Raw(R"({"k":[1,2]})");
  w.Key("d");
  w.Double(1.5);
  w.EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":[null,true,false,{},[],"x"],"c":{"k":[1,2]},"d":1.5})");
  EXPECT_TRUE(IsValidJson(out));
}

TEST(JsonWriterTest, AppendsToExistingText) {
  std::string out = "prefix:";
  JsonWriter w(out);
  w.BeginArray();
  w.Int(-9223372036854775807 - 1);
  w.Int(9223372036854775807);
  w.Int(0);
  w.EndArray();
  EXPECT_EQ(out, "prefix:[-9223372036854775808,9223372036854775807,0]");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a\"b\n");
  w.Int(1);
  w.EndObject();
  EXPECT_EQ(out, R"({"a\"b\n":1})");
}

TEST(JsonWriterTest, EveryControlCharacterIsEscaped) {
  // JSON's two-character escapes; every other control character is written as \u00XX.
  const std::map<char, std::string> short_escapes = {{'\b', R"("\b")"},
                                                     {'\f', R"("\f")"},
                                                     {'\n', R"("\n")"},
                                                     {'\r', R"("\r")"},
                                                     {'\t', R"("\t")"}};
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    std::string expected;
    if (const auto it = short_escapes.find(static_cast<char>(c)); it != short_escapes.end()) {
      expected = it->second;
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\"\\u%04x\"", c);
      expected = buf;
    }
    EXPECT_EQ(Str(in), expected) << "char " << c;
    EXPECT_TRUE(IsValidJson(Str(in))) << "char " << c;
  }
  EXPECT_EQ(Str("\x7f"), "\"\x7f\"");  // DEL is not a control character for JSON
}

TEST(JsonWriterTest, QuotesBackslashesAndSlash) {
  EXPECT_EQ(Str(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(Str(R"(C:\tmp)"), R"("C:\\tmp")");
  EXPECT_EQ(Str("a/b"), R"("a/b")");
  EXPECT_EQ(Str(""), R"("")");
}

TEST(JsonWriterTest, NonAsciiAndEmojiPassThrough) {
  EXPECT_EQ(Str("café Größe Ελληνικά 日本語 ёлка"), "\"café Größe Ελληνικά 日本語 ёлка\"");
  EXPECT_EQ(Str("😀🚲☕🔥"), "\"😀🚲☕🔥\"");
  EXPECT_EQ(Str("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");  // U+10FFFF, the last one
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  // A lone continuation byte and bytes that can never lead.
  EXPECT_EQ(Str("a\x80z"), "\"a" + fffd + "z\"");
  EXPECT_EQ(Str("\xFF"), "\"" + fffd + "\"");
  EXPECT_EQ(Str("\xC0\xAF"), "\"" + fffd + fffd + "\"");  // C0 is always overlong
  // Truncated sequences: the bytes that follow are examined again.
  EXPECT_EQ(Str("\xE2\x82"), "\"" + fffd + fffd + "\"");
  EXPECT_EQ(Str("\xF0\x9F\x98"), "\"" + fffd + fffd + fffd + "\"");
  EXPECT_EQ(Str("\xC3"
                "A"),
            "\"" + fffd + "A\"");
  // Overlong forms of '/' and of U+0800.
  EXPECT_EQ(Str("\xE0\x80\xAF"), "\"" + fffd + fffd + fffd + "\"");
  EXPECT_EQ(Str("\xF0\x80\x80\xAF"), "\"" + fffd + fffd + fffd + fffd + "\"");
  // UTF-16 surrogates encoded in UTF-8 (CESU), and a code point above U+10FFFF.
  EXPECT_EQ(Str("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");
  EXPECT_EQ(Str("\xED\xBF\xBF"), "\"" + fffd + fffd + fffd + "\"");
  EXPECT_EQ(Str("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
  // Whatever came in, the output is valid JSON.
  for (const char* s : {"a\x80z", "\xFF\xFE", "\xED\xA0\x80", "\xF0\x9F\x98"}) {
    EXPECT_TRUE(IsValidJson(Str(s))) << Str(s);
  }
}

TEST(JsonWriterTest, DoublesUseShortestRoundTripForm) {
  EXPECT_EQ(Dbl(4.5), "4.5");
  EXPECT_EQ(Dbl(0.1), "0.1");
  EXPECT_EQ(Dbl(4.0), "4.0");
  EXPECT_EQ(Dbl(-2.0), "-2.0");
  EXPECT_EQ(Dbl(0.0), "0.0");
  EXPECT_EQ(Dbl(-0.0), "-0.0");
  EXPECT_EQ(Dbl(1e300), "1e+300");
  EXPECT_EQ(Dbl(5e-324), "5e-324");
  EXPECT_EQ(Dbl(0.30000000000000004), "0.30000000000000004");
  for (double d : {0.1, 1.0 / 3.0, 2.5e-8, 123456789.123, 1.7976931348623157e308}) {
    const std::string s = Dbl(d);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
    EXPECT_TRUE(IsValidJson(s)) << s;
  }
}

TEST(JsonWriterTest, NanAndInfinityBecomeNull) {
  EXPECT_EQ(Dbl(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(Dbl(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterTest, Base64IsAStringValue) {
  // The encoding is base64.h's (its RFC 4648 vectors are in base/numbers_test.cc); here, that
  // JsonWriter quotes it and separates it like any value, binary bytes included.
  std::string out;
  JsonWriter w(out);
  w.BeginArray();
  w.Base64("");
  w.Base64("fo");
  w.Base64(std::string("\x00\xff\xfe", 3));
  w.EndArray();
  EXPECT_EQ(out, R"(["","Zm8=","AP/+"])");
}

TEST(IsValidJsonTest, AcceptsWellFormedTexts) {
  for (const char* s : {
           "0",
           "-0",
           "1",
           "-1",
           "10",
           "1.5",
           "-1.5e10",
           "1E+2",
           "1e-2",
           "0.0",
           "true",
           "false",
           "null",
           R"("")",
           R"("a")",
           R"("\"\\\/\b\f\n\r\t")",
           R"("\u0041\u00e9")",
           R"("\ud83d\ude00")",
           "\"😀 é\"",
           "[]",
           "{}",
           "[1,2,3]",
           R"({"a":1,"b":[true,null]})",
           " \t\r\n[ 1 , { \"a\" : \"b\" } ]\n ",
           R"(["new","sale","say \"hi\""])",
           R"({"":{}})",
           "[[[[[]]]]]",
       }) {
    EXPECT_TRUE(IsValidJson(s)) << s;
  }
}

TEST(IsValidJsonTest, RejectsMalformedTexts) {
  for (const char* s : {
           "", " ", "[", "]", "{", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{a:1}",
           "{1:1}", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", "tru",
           "nul", "True", "'a'", "\"abc", R"("\x")", R"("\u12")", R"("\u12G4")", "\"a\tb\"",
           "\"a\nb\"", "[1 2]", "1 2", "[] []", R"({"a":1}})", "\"\\",
           // Lone or reversed surrogate escapes.
           R"("\ud83d")", R"("\ude00")", R"("\ud83d\u0041")", R"("\ude00\ud83d")",
           // Invalid UTF-8 inside strings, and any non-ASCII outside them.
           "\"\x80\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"",
           "\xEF\xBB\xBF[]",  // a byte order mark is not JSON text
       }) {
    EXPECT_FALSE(IsValidJson(s)) << s;
  }
  EXPECT_FALSE(IsValidJson(std::string_view("[0]\0", 4)));
}

TEST(IsValidJsonTest, NestingIsLimited) {
  const auto nested = [](int depth) {
    return std::string(static_cast<size_t>(depth), '[') +
           std::string(static_cast<size_t>(depth), ']');
  };
  EXPECT_TRUE(IsValidJson(nested(kMaxJsonDepth)));
  EXPECT_FALSE(IsValidJson(nested(kMaxJsonDepth + 1)));
  EXPECT_FALSE(IsValidJson(nested(100000)));  // must not exhaust the stack
  std::string objects;
  for (int i = 0; i < kMaxJsonDepth + 1; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(kMaxJsonDepth + 1, '}');
  EXPECT_FALSE(IsValidJson(objects));
}

}  // namespace
}  // namespace shoal::api
