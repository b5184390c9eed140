#include "base/striped_counter.h"

#include <cstddef>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(StripedCounterTest, SumsEveryThreadsAdds) {
  StripedCounter c;
  constexpr int kThreads = 12;  // more threads than stripes: some share a cell
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 20000; ++i) c.Add(static_cast<uint64_t>(t % 3 + 1));
    });
  }
  for (std::thread& t : threads) t.join();
  // Threads t = 0..11 add 1, 2 or 3 (four of each) 20,000 times.
  EXPECT_EQ(c.value(), 4u * 20000u * (1 + 2 + 3));
}

// Stripes of `n` threads alive at the same time (each waits until all have taken theirs).
std::vector<size_t> StripesOfLiveThreads(size_t n) {
  std::vector<size_t> stripes(n);
  std::latch taken(static_cast<std::ptrdiff_t>(n));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) {
    threads.emplace_back([&stripes, &taken, t] {
      stripes[t] = StripedCounter::Stripe();
      taken.arrive_and_wait();
    });
  }
  for (std::thread& t : threads) t.join();
  return stripes;
}

TEST(StripedCounterTest, LiveThreadsGetDifferentCells) {
  const size_t mine = StripedCounter::Stripe();
  EXPECT_EQ(StripedCounter::Stripe(), mine);  // fixed per thread
  // This thread and kStripes - 1 others: every cell taken once.
  std::vector<size_t> stripes = StripesOfLiveThreads(StripedCounter::kStripes - 1);
  stripes.push_back(mine);
  EXPECT_EQ(std::set<size_t>(stripes.begin(), stripes.end()).size(), StripedCounter::kStripes);
}

TEST(StripedCounterTest, ThreadsThatLeftGiveTheirCellBack) {
  const size_t mine = StripedCounter::Stripe();
  // Many threads come and go; a newcomer still never lands on this thread's cell.
  for (int round = 0; round < 3; ++round) {
    for (size_t s : StripesOfLiveThreads(StripedCounter::kStripes - 1)) EXPECT_NE(s, mine);
  }
  for (size_t s : StripesOfLiveThreads(1)) EXPECT_NE(s, mine);
}

}  // namespace
}  // namespace shoal
