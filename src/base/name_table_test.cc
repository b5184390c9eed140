// Tests for name_table.h: lookups in dense and sparse tables, and what an unnamed value gets.
#include "base/name_table.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace shoal {
namespace {

enum class Color : uint8_t { kRed, kGreen, kBlue };

constexpr std::string_view kColorNames[] = {"red", "green", "blue"};

TEST(NameTableTest, NameAtIndexesByValue) {
  EXPECT_EQ(NameAt(kColorNames, Color::kRed, "?"), "red");
  EXPECT_EQ(NameAt(kColorNames, Color::kBlue, "?"), "blue");
  static_assert(NameAt(kColorNames, Color::kGreen, "?") == "green");
}

TEST(NameTableTest, NameAtGivesUnknownPastTheEnd) {
  EXPECT_EQ(NameAt(kColorNames, static_cast<Color>(3), "?"), "?");
  EXPECT_EQ(NameAt(kColorNames, static_cast<Color>(255), "none"), "none");
}

constexpr Named<int32_t> kCodes[] = {{0x0000, "zero"}, {0x1000, "big"}, {-1, "minus one"}};

TEST(NameTableTest, NameOfFindsSparseValues) {
  EXPECT_EQ(NameOf(kCodes, 0x0000, "unknown"), "zero");
  EXPECT_EQ(NameOf(kCodes, 0x1000, "unknown"), "big");
  EXPECT_EQ(NameOf(kCodes, -1, "unknown"), "minus one");
  static_assert(NameOf(kCodes, 0x1000, "unknown") == "big");
}

TEST(NameTableTest, NameOfGivesUnknownForAValueNotInTheTable) {
  EXPECT_EQ(NameOf(kCodes, 0x0001, "unknown"), "unknown");
  EXPECT_EQ(NameOf(kCodes, 0x7fffffff, "?"), "?");
}

}  // namespace
}  // namespace shoal
