// ParseIsoMillis against instants computed by hand (and by `date -u +%s` for the ones that are
// easy to get wrong: leap days, offsets crossing midnight, years before 1970).
#include "base/iso8601.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(Iso8601Test, DatesAndTimesInUtc) {
  EXPECT_EQ(ParseIsoMillis("1970-01-01"), 0);
  EXPECT_EQ(ParseIsoMillis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00:00Z"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01 12:00:00Z"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00Z"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00:00.123Z"), 1714564800123);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00:00.1Z"), 1714564800100);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00:00.120000000Z"), 1714564800120);
  EXPECT_EQ(ParseIsoMillis("2024-02-29"), 1709164800000);  // a leap day
  EXPECT_EQ(ParseIsoMillis("2000-02-29T23:59:59.999Z"), 951868799999);
  EXPECT_EQ(ParseIsoMillis("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(ParseIsoMillis("1900-01-01"), -2208988800000);
  EXPECT_EQ(ParseIsoMillis("0000-01-01"), -62167219200000);
  EXPECT_EQ(ParseIsoMillis("9999-12-31T23:59:59.999Z"), 253402300799999);
}

TEST(Iso8601Test, OffsetsAreTakenToUtc) {
  EXPECT_EQ(ParseIsoMillis("2024-05-01T14:00:00+02:00"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T14:00:00+0200"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T14:00:00+02"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T07:30:00-04:30"), 1714564800000);
  EXPECT_EQ(ParseIsoMillis("2024-05-01T23:30:00-01:00"), 1714609800000);  // the next UTC day
}

TEST(Iso8601Test, AnythingElseIsRefused) {
  for (const char* bad : {"",
                          "2024",
                          "2024-05",
                          "2024-5-01",
                          "2024-05-1",
                          "24-05-01",
                          "2024-13-01",
                          "2024-00-10",
                          "2023-02-29",
                          "2024-04-31",
                          "2024-05-01T",
                          "2024-05-01T12",
                          "2024-05-01T12:00",
                          "2024-05-01T12:00:00",
                          "2024-05-01T24:00:00Z",
                          "2024-05-01T12:60:00Z",
                          "2024-05-01T12:00:60Z",
                          "2024-05-01T12:00:00.Z",
                          "2024-05-01T12:00:00.1234Z",
                          "2024-05-01T12:00:00.1234567890Z",
                          "2024-05-01T12:00:00+24:00",
                          "2024-05-01T12:00:00+2",
                          "2024-05-01T12:00:00Zjunk",
                          "2024-05-01x",
                          " 2024-05-01",
                          "2024-05-01T12:00:00z",
                          "+2024-05-01",
                          "2024/05/01"}) {
    EXPECT_EQ(ParseIsoMillis(bad), std::nullopt) << bad;
  }
  // Zeros below the millisecond are fine (Solr and Java may write them).
  EXPECT_EQ(ParseIsoMillis("2024-05-01T12:00:00.1230Z"), 1714564800123);
}

}  // namespace
}  // namespace shoal
