#include "base/striped_counter.h"

#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(StripedCounterTest, SumsEveryThreadsAdds) {
  StripedCounter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {  // more threads than stripes: some share a cell
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 20000; ++i) c.Add(static_cast<uint64_t>(t % 3 + 1));
    });
  }
  for (std::thread& t : threads) t.join();
  // Threads t = 0..11 add 1, 2 or 3 (four of each) 20,000 times.
  EXPECT_EQ(c.value(), 4u * 20000u * (1 + 2 + 3));
}

TEST(StripedCounterTest, ThreadsStartedTogetherGetDifferentCells) {
  std::vector<size_t> stripes(StripedCounter::kStripes);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < stripes.size(); ++t) {
    threads.emplace_back([&stripes, t] { stripes[t] = StripedCounter::Stripe(); });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(std::set<size_t>(stripes.begin(), stripes.end()).size(), stripes.size());
  EXPECT_EQ(StripedCounter::Stripe(), StripedCounter::Stripe());  // fixed per thread
}

}  // namespace
}  // namespace shoal
