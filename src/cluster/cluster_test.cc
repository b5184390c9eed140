// Unit tests of Cluster's decisions, with in-memory fake peers (FakeTransport) and a
// ManualClock: owner routing, failover to a local load when the owner fails or times out
// (and when it is marked down and probed), hot-copy admission by frequency, a peer's request
// never forwarded again, purge fan-out, and the down/up log lines. No sockets, no threads:
// every fake answers (or holds the call) on the test's command, so each test asserts exactly
// what the peers received and what the inner loader was asked.
#include "cluster/cluster.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster_test_fixture.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using namespace cluster_testing;  // NOLINT(google-build-using-namespace): the test's fixture
using Keys = std::vector<std::string>;

// ---- (a) owner routing -----------------------------------------------------------------------

TEST_F(ClusterTest, AKeyOwnedByAPeerGoesToThatPeerOnly) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  EXPECT_FALSE(cluster_->IsLocal(key));
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok()) << got.entry.status().ToString();
  EXPECT_EQ(Body(*got.entry), "from " + kB);
  EXPECT_EQ(got.keep, cache::Keep::kNone);  // another node's key, not (yet) hot
  EXPECT_EQ(transport_.peer(kB).gets(), Keys{key});
  EXPECT_EQ(transport_.peer(kB).timeouts(), std::vector<Duration>{300ms});
  EXPECT_TRUE(transport_.peer(kC).gets().empty());
  EXPECT_TRUE(inner_.asked().empty());
  EXPECT_EQ(cluster_->Stats().peer_gets, 1u);
}

TEST_F(ClusterTest, AKeyOwnedHereGoesToTheInnerLoader) {
  Make();
  const std::string key = KeyOwnedBy(kSelf);
  EXPECT_TRUE(cluster_->IsLocal(key));
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "local");
  EXPECT_EQ(got.keep, cache::Keep::kMain);
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_TRUE(transport_.peer(kB).gets().empty());
  EXPECT_TRUE(transport_.peer(kC).gets().empty());
}

TEST_F(ClusterTest, AnOwnersOwnErrorIsPassedOnNotLoadedHere) {
  Make();
  transport_.peer(kB).set_mode(FakePeer::Mode::kOwnerError);
  Loaded got = Load(KeyOwnedBy(kB));
  ASSERT_FALSE(got.entry.ok());
  EXPECT_EQ(got.entry.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(inner_.asked().empty());
  EXPECT_TRUE(Up(kB));
}

// ---- (b) failover ----------------------------------------------------------------------------

TEST_F(ClusterTest, AFailingOwnerIsMarkedDownProbedAndItsKeysLoadedHere) {
  FakePeer& b = MakeWithOwnerDown(FakePeer::Mode::kFail);
  const std::string key = KeyOwnedBy(kB);
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "local");
  EXPECT_EQ(got.keep, cache::Keep::kMain);
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_FALSE(Up(kB));
  EXPECT_TRUE(Up(kC));
  // While down, its keys are loaded here without asking it.
  const std::string other = KeyOwnedBy(kB, 1);
  Load(other);
  EXPECT_EQ(b.gets(), Keys{key});
  EXPECT_EQ(InnerKeys(), (Keys{key, other}));
  // Probed every probe_interval until it answers a PING.
  ASSERT_EQ(transport_.timers(), 1u);
  EXPECT_EQ(transport_.delays().back(), 700ms);
  EXPECT_EQ(b.pings(), 0);
  transport_.FireTimers();
  EXPECT_EQ(b.pings(), 1);
  EXPECT_FALSE(Up(kB));
  ASSERT_EQ(transport_.timers(), 1u);  // re-armed
  b.set_ping_ok(true);
  b.set_mode(FakePeer::Mode::kAnswer);
  transport_.FireTimers();
  EXPECT_EQ(b.pings(), 2);
  EXPECT_TRUE(Up(kB));
  EXPECT_EQ(transport_.timers(), 0u);  // probing ends
  Loaded back = Load(other);
  EXPECT_EQ(Body(*back.entry), "from " + kB);
  const ClusterStats st = cluster_->Stats();
  EXPECT_EQ(st.peer_errors, 1u);
  EXPECT_EQ(st.local_fallbacks, 2u);
}

TEST_F(ClusterTest, AnOwnerThatTimesOutButAnswersPingStaysUp) {
  Make();
  FakePeer& b = transport_.peer(kB);
  b.set_mode(FakePeer::Mode::kSilent);
  const std::string key = KeyOwnedBy(kB);
  auto out = std::make_shared<Loaded>();
  cluster_->Load(key, cache::Scope::kCluster, [out](Result<cache::EntryPtr> e, cache::Keep k) {
    out->entry = std::move(e);
    out->keep = k;
    ++out->calls;
  });
  EXPECT_EQ(out->calls, 0);  // waiting on the owner
  EXPECT_EQ(b.held(), 1u);
  EXPECT_TRUE(inner_.asked().empty());
  b.TimeOutHeld();
  ASSERT_EQ(out->calls, 1);
  ASSERT_TRUE(out->entry.ok());
  EXPECT_EQ(Body(*out->entry), "local");
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_EQ(b.pings(), 1);  // asked whether it is alive
  EXPECT_TRUE(Up(kB));      // it is: merely slow
  EXPECT_EQ(transport_.timers(), 0u);
}

TEST_F(ClusterTest, AnOwnerThatTimesOutAndFailsPingIsMarkedDown) {
  FakePeer& b = MakeWithOwnerDown(FakePeer::Mode::kSilent);
  const std::string key = KeyOwnedBy(kB);
  cluster_->Load(key, cache::Scope::kCluster, [](const Result<cache::EntryPtr>&, cache::Keep) {});
  b.TimeOutHeld();
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_EQ(b.pings(), 1);
  EXPECT_FALSE(Up(kB));
  EXPECT_EQ(transport_.timers(), 1u);  // probing
}

// ---- (c) hot-copy admission ------------------------------------------------------------------

TEST_F(ClusterTest, ARemoteAnswerIsKeptHotOnlyOnceAskedHotMinHitsTimes) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  EXPECT_EQ(Load(key).keep, cache::Keep::kNone);
  EXPECT_EQ(Load(key).keep, cache::Keep::kNone);
  EXPECT_EQ(cluster_->Stats().hot_admissions, 0u);
  EXPECT_EQ(Load(key).keep, cache::Keep::kHot);  // the 3rd: hot_min_hits
  EXPECT_EQ(cluster_->Stats().hot_admissions, 1u);
  // Another key of the same owner starts from zero.
  EXPECT_EQ(Load(KeyOwnedBy(kB, 1)).keep, cache::Keep::kNone);
  EXPECT_EQ(transport_.peer(kB).gets().size(), 4u);
}

TEST_F(ClusterTest, WithoutTheHotCacheNothingIsKeptHot) {
  options_.hot_cache = false;
  Make();
  const std::string key = KeyOwnedBy(kB);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Load(key).keep, cache::Keep::kNone) << i;
}

// ---- (d) a peer's request is never forwarded ---------------------------------------------------

TEST_F(ClusterTest, ALocalScopeLoadOfAnotherNodesKeyStaysHere) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  Loaded got = Load(key, cache::Scope::kLocal);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "local");
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_TRUE(transport_.peer(kB).gets().empty());
}

TEST_F(ClusterTest, AGetFromAPeerIsServedHereEvenForAKeyOwnedElsewhere) {
  Cluster& cluster = Make();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  cache::ReadThrough read_through(cache, cluster, clock_);
  ASSERT_TRUE(cluster.Start(read_through).ok());
  ASSERT_NE(transport_.service(), nullptr);
  // The sender thinks this node owns the key; this node thinks kB does. It must not forward.
  const std::string key = KeyOwnedBy(kB);
  std::optional<Result<cache::EntryPtr>> reply;
  transport_.service()->ServeGet(
      GetRequest{key}, [&reply](const Result<cache::EntryPtr>& r, uint64_t) { reply = r; });
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->ok());
  EXPECT_EQ(Body(**reply), "local");
  EXPECT_EQ(InnerKeys(), Keys{key});
  EXPECT_TRUE(transport_.peer(kB).gets().empty());
  EXPECT_TRUE(transport_.peer(kC).gets().empty());
  EXPECT_EQ(cluster.Stats().served_gets, 1u);
  cluster.Stop();
  EXPECT_EQ(transport_.service(), nullptr);
}

// Peers beyond loopback need authentication: a secret, or mutual TLS (cluster.tls), which
// authenticates on its own; neither is refused at Start (without cluster.insecure).
TEST_F(ClusterTest, PeersBeyondLoopbackNeedASecretOrTls) {
  options_.secret.clear();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  {
    Cluster& plain = Make();
    cache::ReadThrough plain_rt(cache, plain, clock_);
    const Status refused = plain.Start(plain_rt);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused.ToString();
    EXPECT_NE(refused.message().find("no cluster.secret"), std::string_view::npos);
  }

  options_.tls = {.ca = "ca.pem", .cert = "node.pem", .key = "node-key.pem"};
  Cluster& tls = Make();
  cache::ReadThrough tls_rt(cache, tls, clock_);
  EXPECT_TRUE(tls.Start(tls_rt).ok());
  EXPECT_EQ(log_.Count("cluster", "cluster.insecure"), 0u);
  tls.Stop();
}

// ---- (e) purge fan-out -------------------------------------------------------------------------

TEST_F(ClusterTest, APurgeReachesEveryPeerAndThisNodeAndReportsTheFailures) {
  Cluster& cluster = Make();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  cache::ReadThrough read_through(cache, cluster, clock_);
  ASSERT_TRUE(cluster.Start(read_through).ok());
  transport_.peer(kC).set_purge_ok(false);
  std::optional<PurgeSummary> summary;
  cluster.Purge({PurgeKind::kKey, "/v1/items/7"},
                [&summary](const PurgeSummary& s) { summary = s; });
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(transport_.peer(kB).purges(), Keys{"/v1/items/7"});
  // kC missed it: a catch-up (PURGE_SYNC) ran at once and sent it again (failing again, so
  // another is armed on a timer).
  ASSERT_FALSE(transport_.peer(kC).purges().empty());
  EXPECT_EQ(transport_.peer(kC).purges().front(), "/v1/items/7");
  EXPECT_EQ(transport_.peer(kC).syncs(), 1);
  EXPECT_EQ(transport_.peer(kB).syncs(), 0);
  EXPECT_EQ(local_purges_, Keys{"/v1/items/7"});
  EXPECT_EQ(summary->removed, 2u + 3u);  // kB's and this node's
  EXPECT_EQ(summary->nodes, 2u);
  ASSERT_EQ(summary->failed.size(), 1u);
  EXPECT_EQ(summary->failed[0].rfind(kC + ": ", 0), 0u) << summary->failed[0];
  cluster.Stop();
}

// ---- membership and logging ------------------------------------------------------------------

TEST_F(ClusterTest, APeerDownThenUpLogsOneLineEachWayHoweverManyCallsRan) {
  FakePeer& b = MakeWithOwnerDown(FakePeer::Mode::kFail);
  for (int i = 0; i < 20; ++i) Load(KeyOwnedBy(kB, i % 5));
  transport_.FireTimers();
  transport_.FireTimers();
  b.set_ping_ok(true);
  b.set_mode(FakePeer::Mode::kAnswer);
  transport_.FireTimers();
  for (int i = 0; i < 20; ++i) Load(KeyOwnedBy(kB, i % 5));
  EXPECT_TRUE(Up(kB));
  EXPECT_EQ(log_.Count("cluster", "peer " + kB + " down (connection refused)"), 1u);
  EXPECT_EQ(log_.Count("cluster", "peer " + kB + " up again"), 1u);
  EXPECT_EQ(log_.lines().size(), 2u);
}

TEST_F(ClusterTest, SetPeersLogsTheNewListAndClosesThePeersThatLeft) {
  Make();
  FakePeer& c = transport_.peer(kC);
  ASSERT_TRUE(cluster_->SetPeers({kSelf, kB}).ok());
  EXPECT_TRUE(c.closed());
  EXPECT_FALSE(transport_.peer(kB).closed());
  EXPECT_EQ(log_.Count("cluster", "peers now [" + kSelf + ", " + kB + "]"), 1u);
  EXPECT_FALSE(cluster_->SetPeers({kSelf, "no-port"}).ok());
  EXPECT_FALSE(cluster_->SetPeers({kSelf, "::1:7001"}).ok());  // IPv6 goes in brackets
  EXPECT_TRUE(cluster_->SetPeers({kSelf, kB, "[::1]:7001"}).ok());
  EXPECT_EQ(cluster_->Stats().ring_changes, 2u);
}

}  // namespace
}  // namespace shoal::cluster
