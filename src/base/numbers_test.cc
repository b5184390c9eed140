#include "base/numbers.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "base/base64.h"

namespace shoal {
namespace {

std::string Json(double v) {
  std::string s;
  AppendJsonDouble(s, v);
  return s;
}

TEST(NumbersTest, JsonDoublesAreShortestAndKeepAFractionMark) {
  EXPECT_EQ(Json(0.1), "0.1");
  EXPECT_EQ(Json(2.0), "2.0");
  EXPECT_EQ(Json(-0.0), "-0.0");
  EXPECT_EQ(Json(1e21), "1e+21");
  EXPECT_EQ(Json(1.0928245501588325e-10), "1.0928245501588325e-10");
  EXPECT_EQ(Json(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(Json(-std::numeric_limits<double>::infinity()), "null");
  std::string f;
  AppendJsonFloat(f, 0.1f);
  EXPECT_EQ(f, "0.1");
}

TEST(NumbersTest, IntegersAtTheExtremes) {
  std::string s;
  AppendInt(s, std::numeric_limits<int64_t>::min());
  s.push_back(' ');
  AppendUint(s, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s, "-9223372036854775808 18446744073709551615");
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInt64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseInt64("12a"), std::nullopt);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseInt64("+1"), std::nullopt);
}

TEST(NumbersTest, ParseDoubleRefusesWhatIsNotADecimalNumber) {
  for (const char* bad :
       {"", "inf", "nan", "-inf", "1.", ".5", "+1", "0x10", "1e", "1e999", "1,5", " 1"}) {
    EXPECT_EQ(ParseDouble(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseDouble("-2.5e-3"), -2.5e-3);
  EXPECT_EQ(ParseDouble("17"), 17.0);
}

// Every double, written by AppendJsonDouble and read by ParseDouble, comes back bit for bit:
// random bit patterns (so subnormals and extremes come up), plus the edges named.
TEST(NumbersTest, EveryDoubleRoundTripsBitForBit) {
  std::vector<double> values = {0.0,
                                -0.0,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::max(),
                                -std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::epsilon(),
                                1.0928245501588325e-10,
                                0.30000000000000004};
  std::mt19937_64 rng(2026);
  while (values.size() < 200000) {
    const double v = std::bit_cast<double>(rng());
    if (std::isfinite(v)) values.push_back(v);
  }
  for (const double v : values) {
    const std::string text = Json(v);
    const std::optional<double> back = ParseDouble(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(std::bit_cast<uint64_t>(*back), std::bit_cast<uint64_t>(v)) << text;
  }
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, want] : vectors) {
    std::string out = "x";
    AppendBase64(out, in);
    EXPECT_EQ(out, std::string("x") + want);
  }
  std::string out;
  AppendBase64(out, std::string_view("\xff\x00\xfe", 3));
  EXPECT_EQ(out, "/wD+");
}

}  // namespace
}  // namespace shoal
