#include "base/deadline_table.h"

#include <functional>

#include <gtest/gtest.h>

namespace shoal {
namespace {

using Table = DeadlineTable<int, std::function<int()>>;
using std::chrono::milliseconds;

std::function<int()> Returns(int v) {
  return [v] { return v; };
}

TEST(DeadlineTableTest, TakeReturnsTheCallbackOnceAndForgetsTheId) {
  Table t;
  const TimePoint now{};
  t.Add(1, Returns(10), now + milliseconds(5));
  t.Add(2, Returns(20), now + milliseconds(5));
  std::optional<std::function<int()>> got = t.Take(2);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ((*got)(), 20);
  EXPECT_FALSE(t.Take(2).has_value());
  EXPECT_EQ(t.size(), 1u);
}

TEST(DeadlineTableTest, ExpireFailsOnlyWhatIsDueAndErases) {
  Table t;
  const TimePoint now{};
  t.Add(1, Returns(1), now + milliseconds(10));
  t.Add(2, Returns(2), now + milliseconds(30));
  std::vector<std::function<int()>> out;
  EXPECT_FALSE(t.Due(now + milliseconds(9)));
  EXPECT_EQ(t.Expire(now + milliseconds(9), Table::OnExpiry::kErase, out), 0u);
  EXPECT_EQ(t.Expire(now + milliseconds(10), Table::OnExpiry::kErase, out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0](), 1);
  EXPECT_FALSE(t.Contains(1));
  // The lower bound moved to the next deadline: nothing is due before it.
  EXPECT_FALSE(t.Due(now + milliseconds(29)));
  EXPECT_TRUE(t.Due(now + milliseconds(30)));
}

TEST(DeadlineTableTest, QuarantineKeepsTheIdUntilItsLateAnswer) {
  Table t;
  const TimePoint now{};
  t.Add(7, Returns(7), now + milliseconds(1));
  std::vector<std::function<int()>> out;
  EXPECT_EQ(t.Expire(now + milliseconds(2), Table::OnExpiry::kQuarantine, out), 1u);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_TRUE(t.Contains(7));
  EXPECT_EQ(t.quarantined(), 1u);
  EXPECT_EQ(t.live(), 0u);
  // A second sweep does not fail it again.
  EXPECT_EQ(t.Expire(now + milliseconds(3), Table::OnExpiry::kQuarantine, out), 0u);
  // The late answer frees the id; its callback is empty (already failed).
  std::optional<std::function<int()>> late = t.Take(7);
  ASSERT_TRUE(late.has_value());
  EXPECT_FALSE(static_cast<bool>(*late));
  EXPECT_EQ(t.quarantined(), 0u);
  EXPECT_TRUE(t.empty());
}

TEST(DeadlineTableTest, TakeAllReturnsOnlyLiveCallbacks) {
  Table t;
  const TimePoint now{};
  t.Add(1, Returns(1), now + milliseconds(1));
  t.Add(2, Returns(2), now + milliseconds(100));
  std::vector<std::function<int()>> out;
  (void)t.Expire(now + milliseconds(1), Table::OnExpiry::kQuarantine, out);
  const std::vector<std::function<int()>> all = t.TakeAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0](), 2);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.quarantined(), 0u);
  EXPECT_FALSE(t.Due(now + milliseconds(1000)));
}

}  // namespace
}  // namespace shoal
