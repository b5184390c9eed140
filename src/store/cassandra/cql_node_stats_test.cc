// NodeStats with a fake clock (time points passed in): counting, the suspect cycle (timeouts in
// a row, a timely answer, the one probe after suspect_for), and the recent p99 over its
// rotating window.
#include "store/cassandra/cql_node_stats.h"

#include <chrono>

#include <gtest/gtest.h>

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint(std::chrono::hours(100));

TEST(NodeStatsTest, CountsEveryAttemptOnce) {
  NodeStats s;
  for (int i = 0; i < 5; ++i) s.OnSent(kStart);
  s.OnAnswered(kStart + 1ms, 1ms, false);
  s.OnAnswered(kStart + 1ms, 3ms, true);
  s.OnBroken();
  s.OnTimeout(kStart + 100ms);  // still in flight
  NodeReport r;
  s.Report(kStart + 100ms, &r);
  EXPECT_EQ(r.requests, 5u);
  EXPECT_EQ(r.errors, 2u);  // the ERROR answer and the broken connection
  EXPECT_EQ(r.timeouts, 1u);
  EXPECT_EQ(r.in_flight, 2);
  s.OnAbandoned();
  s.OnAbandoned();
  s.Report(kStart + 100ms, &r);
  EXPECT_EQ(r.in_flight, 0);
  EXPECT_EQ(r.latency_count, 2u);
  EXPECT_EQ(r.latency_sum_us, 4000u);
  // 1 ms falls in the "<= 1000 us" bucket (index 4), 3 ms in "<= 5000 us" (index 6).
  EXPECT_EQ(r.latency_buckets[4], 1u);
  EXPECT_EQ(r.latency_buckets[6], 1u);
}

TEST(NodeStatsTest, TimeoutsInARowMakeANodeSuspectAndAnAnswerClearsIt) {
  NodeStats s(NodeStatsOptions{.suspect_after_timeouts = 2, .suspect_for = 2s});
  TimePoint t = kStart;
  s.OnSent(t);
  s.OnSent(t);
  s.OnTimeout(t += 100ms);
  EXPECT_FALSE(s.Suspect(t)) << "one timeout is not enough";
  s.OnTimeout(t += 10ms);
  EXPECT_TRUE(s.Suspect(t));
  EXPECT_TRUE(s.Suspect(t + 1900ms));
  // A late answer (its attempt already timed out) does not clear it.
  s.OnAnswered(t, 500ms, false, /*timely=*/false);
  EXPECT_TRUE(s.Suspect(t));
  // A timely one does.
  s.OnSent(t);
  s.OnAnswered(t + 1ms, 1ms, false);
  EXPECT_FALSE(s.Suspect(t + 1ms));
  // And the count starts again: one timeout after an answer is not two in a row.
  s.OnSent(t);
  s.OnTimeout(t += 200ms);
  EXPECT_FALSE(s.Suspect(t));
}

TEST(NodeStatsTest, AfterSuspectForOneAttemptProbesAndItsOutcomeDecides) {
  NodeStats s(NodeStatsOptions{.suspect_after_timeouts = 2, .suspect_for = 2s});
  TimePoint t = kStart;
  s.OnSent(t);
  s.OnSent(t);
  s.OnTimeout(t);
  s.OnTimeout(t);
  ASSERT_TRUE(s.Suspect(t));
  t += 2s;
  EXPECT_FALSE(s.Suspect(t)) << "suspect_for has passed: the node may be probed";
  s.OnSent(t);  // the probe
  EXPECT_TRUE(s.Suspect(t)) << "while the probe is out, the others keep away";
  EXPECT_TRUE(s.Suspect(t + 1s));
  // The probe times out: suspect for another suspect_for, from then.
  s.OnTimeout(t += 100ms);
  EXPECT_TRUE(s.Suspect(t + 1900ms));
  EXPECT_FALSE(s.Suspect(t + 2s));
  // The next probe is answered in time: suspicion over, for everyone.
  t += 2s;
  s.OnSent(t);
  EXPECT_TRUE(s.Suspect(t));
  s.OnAnswered(t + 2ms, 2ms, false);
  EXPECT_FALSE(s.Suspect(t + 2ms));
  s.OnSent(t + 3ms);
  EXPECT_FALSE(s.Suspect(t + 3ms));
}

TEST(NodeStatsTest, AProbeThatNeverEndsGivesWayToAnotherAfterSuspectFor) {
  NodeStats s(NodeStatsOptions{.suspect_after_timeouts = 1, .suspect_for = 1s});
  TimePoint t = kStart;
  s.OnSent(t);
  s.OnTimeout(t);
  t += 1s;
  s.OnSent(t);  // the probe; its connection breaks, which says nothing of the node's health
  s.OnBroken();
  EXPECT_TRUE(s.Suspect(t + 999ms));
  EXPECT_FALSE(s.Suspect(t + 1s));
}

TEST(NodeStatsTest, RecentP99NeedsEnoughSamplesAndTracksTheTail) {
  NodeStats s;
  TimePoint t = kStart;
  for (int i = 0; i < 19; ++i) s.OnAnswered(t, 2ms, false);
  EXPECT_EQ(s.RecentP99(t), Duration{}) << "19 answers are too few";
  s.OnAnswered(t, 2ms, false);
  // 2 ms = 2000 us lies in [1792, 2048): its bucket's upper bound is 2048 us.
  EXPECT_EQ(s.RecentP99(t), std::chrono::microseconds(2048));
  // One slow answer in twenty is above the 99th percentile's rank (ceil(0.99 * 21) = 21).
  s.OnAnswered(t, 300ms, false);
  const Duration p99 = s.RecentP99(t);
  EXPECT_GE(p99, 300ms);
  EXPECT_LE(p99, 300ms * 1.25);
  // With 200 fast answers, one slow one is past the 99th percentile.
  for (int i = 0; i < 200; ++i) s.OnAnswered(t, 2ms, false);
  EXPECT_EQ(s.RecentP99(t), std::chrono::microseconds(2048));
}

TEST(NodeStatsTest, RecentP99ForgetsAnswersOlderThanTheWindow) {
  NodeStats s;
  TimePoint t = kStart;
  for (int i = 0; i < 100; ++i) s.OnAnswered(t, 50ms, false);
  EXPECT_GE(s.RecentP99(t), 50ms);
  // Half the window later, faster answers join; the slow ones still count.
  t += NodeStats::kWindow / 2;
  for (int i = 0; i < 100; ++i) s.OnAnswered(t, 1ms, false);
  EXPECT_GE(s.RecentP99(t), 50ms);
  // A whole window after the slow ones, only the fast ones are left.
  t += NodeStats::kWindow / 2 + NodeStats::kWindow / NodeStats::kSubWindows;
  EXPECT_LE(s.RecentP99(t), 2ms);
  EXPECT_GT(s.RecentP99(t), Duration{});
  // And after another whole window, nothing at all.
  t += NodeStats::kWindow;
  EXPECT_EQ(s.RecentP99(t), Duration{});
}

TEST(NodeStatsTest, BucketsCoverTheWholeRange) {
  NodeStats s;
  for (int i = 0; i < 30; ++i) s.OnAnswered(kStart, 10us, false);
  EXPECT_EQ(s.RecentP99(kStart), 64us);
  for (int i = 0; i < 3000; ++i) s.OnAnswered(kStart, std::chrono::hours(1), false);
  EXPECT_GE(s.RecentP99(kStart), 60s);
}

}  // namespace
}  // namespace shoal::store::cassandra
