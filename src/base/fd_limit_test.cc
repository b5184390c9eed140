// Tests for RaiseFdLimit (on this process's real limits) and ConnectionBudget.
#include "base/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace shoal {
namespace {

TEST(FdLimitTest, RaisesTheSoftLimitToTheHardOne) {
  rlimit r{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &r), 0);
  if (r.rlim_max == RLIM_INFINITY || r.rlim_max < 64) GTEST_SKIP() << "needs a finite hard limit";
  // Lower the soft limit (allowed without privileges, and undone by the raise).
  const rlim_t low = r.rlim_max / 2;
  rlimit lowered{.rlim_cur = low, .rlim_max = r.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);

  Result<FdLimit> got = RaiseFdLimit();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->before, low);
  EXPECT_EQ(got->soft, r.rlim_max);
  EXPECT_EQ(got->hard, r.rlim_max);
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, r.rlim_max);

  // Already at the hard limit: nothing changes.
  got = RaiseFdLimit();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->before, r.rlim_max);
  EXPECT_EQ(got->soft, r.rlim_max);
}

TEST(FdLimitTest, ConnectionBudgetKeepsTheReserve) {
  EXPECT_EQ(ConnectionBudget(1024, 100), 924u);
  EXPECT_EQ(ConnectionBudget(256, 250), 16u);  // never below the floor
  EXPECT_EQ(ConnectionBudget(100, 200), 16u);
  EXPECT_EQ(ConnectionBudget(100, 200, 1), 1u);
  EXPECT_EQ(ConnectionBudget(UINT64_MAX, 64), static_cast<size_t>(UINT64_MAX - 64));
}

}  // namespace
}  // namespace shoal
