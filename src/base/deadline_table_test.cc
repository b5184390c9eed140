#include "base/deadline_table.h"

#include <functional>
#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

using Table = DeadlineTable<int, std::function<int()>>;
using std::chrono::milliseconds;

std::function<int()> Returns(int v) {
  return [v] { return v; };
}

// Each test starts with an empty table at time zero; out_ receives what Expire fails.
class DeadlineTableTest : public ::testing::Test {
 protected:
  static TimePoint At(int ms) { return TimePoint{} + milliseconds(ms); }

  Table t_;
  std::vector<std::function<int()>> out_;
};

TEST_F(DeadlineTableTest, TakeReturnsTheCallbackOnceAndForgetsTheId) {
  t_.Add(1, Returns(10), At(5));
  t_.Add(2, Returns(20), At(5));
  std::optional<std::function<int()>> got = t_.Take(2);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ((*got)(), 20);
  EXPECT_FALSE(t_.Take(2).has_value());
  EXPECT_EQ(t_.size(), 1u);
}

TEST_F(DeadlineTableTest, ExpireFailsOnlyWhatIsDueAndErases) {
  t_.Add(1, Returns(1), At(10));
  t_.Add(2, Returns(2), At(30));
  EXPECT_FALSE(t_.Due(At(9)));
  EXPECT_EQ(t_.Expire(At(9), Table::OnExpiry::kErase, out_), 0u);
  EXPECT_EQ(t_.Expire(At(10), Table::OnExpiry::kErase, out_), 1u);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0](), 1);
  EXPECT_FALSE(t_.Contains(1));
  // The lower bound moved to the next deadline: nothing is due before it.
  EXPECT_FALSE(t_.Due(At(29)));
  EXPECT_TRUE(t_.Due(At(30)));
}

TEST_F(DeadlineTableTest, QuarantineKeepsTheIdUntilItsLateAnswer) {
  t_.Add(7, Returns(7), At(1));
  EXPECT_EQ(t_.Expire(At(2), Table::OnExpiry::kQuarantine, out_), 1u);
  EXPECT_EQ(out_.size(), 1u);
  EXPECT_TRUE(t_.Contains(7));
  EXPECT_EQ(t_.quarantined(), 1u);
  EXPECT_EQ(t_.live(), 0u);
  // A second sweep does not fail it again.
  EXPECT_EQ(t_.Expire(At(3), Table::OnExpiry::kQuarantine, out_), 0u);
  // The late answer frees the id; its callback is empty (already failed).
  std::optional<std::function<int()>> late = t_.Take(7);
  ASSERT_TRUE(late.has_value());
  EXPECT_FALSE(static_cast<bool>(*late));
  EXPECT_EQ(t_.quarantined(), 0u);
  EXPECT_TRUE(t_.empty());
}

TEST_F(DeadlineTableTest, TakeAllReturnsOnlyLiveCallbacks) {
  t_.Add(1, Returns(1), At(1));
  t_.Add(2, Returns(2), At(100));
  (void)t_.Expire(At(1), Table::OnExpiry::kQuarantine, out_);
  const std::vector<std::function<int()>> all = t_.TakeAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0](), 2);
  EXPECT_TRUE(t_.empty());
  EXPECT_EQ(t_.quarantined(), 0u);
  EXPECT_FALSE(t_.Due(At(1000)));
}

}  // namespace
}  // namespace shoal
