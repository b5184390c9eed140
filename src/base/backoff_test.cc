#include "base/backoff.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DelaysStayUnderADoublingCeilingThatStopsAtMax) {
  Backoff b(milliseconds(10), milliseconds(75), 42);
  const Duration ceilings[] = {milliseconds(10), milliseconds(20), milliseconds(40),
                               milliseconds(75), milliseconds(75), milliseconds(75)};
  for (const Duration c : ceilings) {
    EXPECT_EQ(b.ceiling(), c);
    const Duration d = b.Next();
    EXPECT_GE(d, Duration::zero());
    EXPECT_LE(d, c);
  }
}

TEST(BackoffTest, ResetStartsAgainFromInitial) {
  Backoff b(milliseconds(5), milliseconds(500), 7);
  for (int i = 0; i < 6; ++i) (void)b.Next();
  EXPECT_EQ(b.ceiling(), milliseconds(320));
  b.Reset();
  EXPECT_EQ(b.ceiling(), milliseconds(5));
  EXPECT_LE(b.Next(), milliseconds(5));
}

TEST(BackoffTest, FullJitterSpreadsDelaysOverTheWholeRange) {
  // With full jitter, many clients at the same attempt land all over [0, ceiling]: the lowest
  // and the highest quarter both get some of 1,000 draws.
  Backoff b(milliseconds(100), milliseconds(100), 1);
  int low = 0;
  int high = 0;
  for (int i = 0; i < 1000; ++i) {
    const Duration d = b.Next();
    if (d < milliseconds(25)) ++low;
    if (d > milliseconds(75)) ++high;
  }
  EXPECT_GT(low, 150);
  EXPECT_GT(high, 150);
}

TEST(BackoffTest, MaxBelowInitialIsRaisedToInitial) {
  Backoff b(milliseconds(50), milliseconds(10), 3);
  (void)b.Next();
  EXPECT_EQ(b.ceiling(), milliseconds(50));
}

}  // namespace
}  // namespace shoal
