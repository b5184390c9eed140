// Readiness: the verdict and the answer of GET /_shoal/ready, on a ManualClock.
#include "api/readiness.h"

#include <string>

#include <gtest/gtest.h>

#include "store/store.h"

namespace shoal::api {
namespace {

using std::chrono::seconds;

std::string Body(const http::Response& r) { return std::string(r.body); }

std::string Joined(const ReadinessVerdict& v) {
  std::string all;
  for (const std::string& r : v.reasons) all += r + "|";
  return all;
}

TEST(ReadinessTest, NotReadyUntilTheStoreFirstAnswers) {
  ManualClock clock;
  Readiness r({}, clock);
  ReadinessVerdict v = r.Check();
  EXPECT_FALSE(v.ready);
  EXPECT_NE(Joined(v).find("store: no answer yet"), std::string::npos) << Joined(v);
  EXPECT_EQ(r.Answer().status, 503);

  r.Record(Status::Ok());
  v = r.Check();
  EXPECT_TRUE(v.ready) << Joined(v);
  const http::Response ok = r.Answer();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Body(ok), R"({"status":"ready"})");
  EXPECT_NE(ok.extra_headers.find("no-store"), std::string::npos);
}

TEST(ReadinessTest, TurnsUnreadyWhenNoAnswerCameWithinTheWindow) {
  ManualClock clock;
  Readiness r({.probe_interval = seconds(2), .window = seconds(10)}, clock);
  r.RecordAnswer();
  clock.Advance(seconds(10));
  EXPECT_TRUE(r.Check().ready) << "the window's edge still counts";
  clock.Advance(seconds(2));
  const ReadinessVerdict v = r.Check();
  EXPECT_FALSE(v.ready);
  EXPECT_NE(Joined(v).find("store: no answer for 12s (window 10s)"), std::string::npos)
      << Joined(v);
  r.RecordAnswer();
  EXPECT_TRUE(r.Check().ready);
}

TEST(ReadinessTest, AFailureInsideTheWindowDoesNotFlap) {
  ManualClock clock;
  Readiness r({}, clock);
  r.RecordAnswer();
  clock.Advance(seconds(1));
  r.Record(Status::Unavailable("sqlite: database is locked"));
  EXPECT_TRUE(r.Check().ready);
}

TEST(ReadinessTest, ReasonsNameAShortCauseNeverTheDatabasesMessage) {
  ManualClock clock;
  Readiness r({}, clock);
  r.RecordAnswer();
  clock.Advance(seconds(11));
  r.Record(Status::Unavailable("sqlite: disk I/O error on /srv/secret/catalog.db"));
  clock.Advance(seconds(1));
  const http::Response a = r.Answer();
  EXPECT_EQ(a.status, 503);
  const std::string body = Body(a);
  EXPECT_EQ(body.find("secret"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("status":"not ready")"), std::string::npos) << body;
  EXPECT_NE(body.find("last error 1s ago: store unavailable"), std::string::npos) << body;

  r.Record(Status::DeadlineExceeded("cassandra: node 10.0.0.1 did not answer"));
  EXPECT_NE(Joined(r.Check()).find("store timed out"), std::string::npos);
}

TEST(ReadinessTest, OnlyUnavailableAndTimeoutsAreFailuresAndAnyAnswerCounts) {
  ManualClock clock;
  Readiness r({}, clock);
  // Neither an answer nor a failure: shutting down, or a full queue.
  r.Record(Status::Cancelled("store shut down"));
  r.Record(Status::ResourceExhausted("queue full"));
  EXPECT_FALSE(r.Check().ready);
  EXPECT_EQ(Joined(r.Check()).find("last error"), std::string::npos) << Joined(r.Check());
  // The database answered, even if it refused the statement or the answer was too large.
  r.Record(Status::Internal("no such table: items"));
  EXPECT_TRUE(r.Check().ready);
  clock.Advance(seconds(11));
  r.Record(store::AnswerTooLarge("10001 rows"));
  EXPECT_TRUE(r.Check().ready);
  clock.Advance(seconds(11));
  r.Record(Status::InvalidArgument("id: not valid UTF-8"));
  EXPECT_TRUE(r.Check().ready);
}

TEST(ReadinessTest, DrainingIsUnreadyForGood) {
  ManualClock clock;
  Readiness r({}, clock);
  r.RecordAnswer();
  r.BeginDraining();
  r.RecordAnswer();
  const ReadinessVerdict v = r.Check();
  EXPECT_FALSE(v.ready);
  ASSERT_EQ(v.reasons.size(), 1u) << Joined(v);
  EXPECT_NE(v.reasons[0].find("draining"), std::string::npos);
  EXPECT_EQ(r.Answer().status, 503);
}

TEST(ReadinessTest, AClusterNodeIsReadyOnlyOnceItKnowsTheMemberList) {
  ManualClock clock;
  Readiness r({}, clock);
  bool known = false;
  r.SetMembershipCheck([&known] { return known; });
  r.RecordAnswer();
  ReadinessVerdict v = r.Check();
  EXPECT_FALSE(v.ready);
  EXPECT_NE(Joined(v).find("cluster: the member list is not known"), std::string::npos);
  known = true;
  EXPECT_TRUE(r.Check().ready);
}

TEST(ReadinessTest, EveryReasonIsListed) {
  ManualClock clock;
  Readiness r({}, clock);
  r.SetMembershipCheck([] { return false; });
  r.BeginDraining();
  const ReadinessVerdict v = r.Check();
  EXPECT_EQ(v.reasons.size(), 3u) << Joined(v);
  const std::string body = Body(r.Answer());
  EXPECT_NE(body.find(R"("reasons":["draining)"), std::string::npos) << body;
}

}  // namespace
}  // namespace shoal::api
