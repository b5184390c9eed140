// Unit tests of how a Cluster treats what peers send and who may be a peer (the security
// review's M1 and H3): an owner's entry with a forged ETag is refused, its lifetimes are
// clamped to the endpoint's ttl + grace, its error text never reaches the caller (it is
// logged escaped and rate-limited), peers beyond loopback need a secret unless `insecure`,
// and only known nodes may call. Fake peers (cluster_test_fixture.h) send the replies.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster.h"
#include "cluster/cluster_test_fixture.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using namespace cluster_testing;  // NOLINT(google-build-using-namespace): the test's fixture

// EntryWith is a value entry for `key` with the given ETag and deadlines from `now`.
cache::EntryPtr EntryWith(const std::string& key, std::string etag, TimePoint now, Duration fresh,
                          Duration stale) {
  cache::EntryOptions o;
  o.key = key;
  o.body = Bytes::Copy("{\"id\":1}");
  o.created = now;
  o.fresh_until = now + fresh;
  o.stale_until = now + stale;
  o.etag = std::move(etag);
  return cache::Entry::Make(std::move(o));
}

bool NoRawControlBytes(const MemoryLogger& log) {
  for (const auto& line : log.lines()) {
    for (const char c : line.message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    }
  }
  return true;
}

using PeerReplyTest = ClusterTest;

TEST_F(PeerReplyTest, AnEntryWithAnInjectedEtagIsRefusedAndTheKeyLoadedHere) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"x\"\r\nSet-Cookie: s=1", clock_.Now(), 60s, 120s), false});
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok()) << got.entry.status().ToString();
  EXPECT_EQ(Body(*got.entry), "local");  // loaded here instead
  EXPECT_EQ((*got.entry)->etag().find('\r'), std::string::npos);
  EXPECT_EQ(inner_.asked().size(), 1u);
  EXPECT_EQ(cluster_->Stats().peer_errors, 1u);
  EXPECT_GE(log_.Count("cluster", "\\x0d\\x0aSet-Cookie"), 1u);
  EXPECT_TRUE(NoRawControlBytes(log_));
}

TEST_F(PeerReplyTest, AWellFormedEtagIsKept) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"0123456789abcdef\"", clock_.Now(), 60s, 120s), false});
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ((*got.entry)->etag(), "\"0123456789abcdef\"");
  EXPECT_TRUE(inner_.asked().empty());
}

TEST_F(PeerReplyTest, LifetimesAreClampedByDefaultToAnHourAndTheGrace) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  const TimePoint now = clock_.Now();
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"0123456789abcdef\"", now, 24h * 3650, 24h * 3650), false});
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_LE((*got.entry)->fresh_until(), now + 1h);
  EXPECT_LE((*got.entry)->stale_until(), now + 1h + 5min);
}

TEST_F(PeerReplyTest, TheKeysEndpointLimitsReplaceTheGlobalGrace) {
  // peer_limits (serve: the endpoint's ttl and its own grace) wins over peer_ttl/peer_grace.
  options_.peer_ttl = [](std::string_view) { return std::optional<Duration>(600s); };
  options_.peer_grace = 300s;
  options_.peer_limits = [](std::string_view) {
    return std::optional<PeerLimits>(PeerLimits{60s, 10s});
  };
  Make();
  const std::string key = KeyOwnedBy(kB);
  const TimePoint now = clock_.Now();
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"0123456789abcdef\"", now, 24h, 24h), false});
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ((*got.entry)->fresh_until(), now + 60s);
  EXPECT_EQ((*got.entry)->stale_until(), now + 70s);
}

TEST_F(PeerReplyTest, LifetimesAreClampedToTheKeysEndpointTtlAndGrace) {
  options_.peer_ttl = [](std::string_view) { return std::optional<Duration>(60s); };
  options_.peer_grace = 120s;
  Make();
  const std::string key = KeyOwnedBy(kB);
  const TimePoint now = clock_.Now();
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"0123456789abcdef\"", now, 24h * 3650, 24h * 3650), false});
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ((*got.entry)->fresh_until(), now + 60s);
  EXPECT_EQ((*got.entry)->stale_until(), now + 180s);
  EXPECT_EQ(Body(*got.entry), "{\"id\":1}");
  // Shorter lifetimes are kept as sent.
  transport_.peer(kB).set_reply(
      GetReply{EntryWith(key, "\"0123456789abcdef\"", now, 10s, 20s), false});
  got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ((*got.entry)->fresh_until(), now + 10s);
  EXPECT_EQ((*got.entry)->stale_until(), now + 20s);
}

TEST_F(PeerReplyTest, AnOwnersErrorTextNeverReachesTheCallerAndIsLoggedEscapedAndRateLimited) {
  Make();
  const std::string key = KeyOwnedBy(kB);
  transport_.peer(kB).set_reply(GetReply{
      Status::InvalidArgument("cassandra: 10.0.3.7:9042: Invalid: \x1b[31m\nshoal: fake line"),
      true});
  for (int i = 0; i < 20; ++i) {
    Loaded got = Load(key);
    ASSERT_FALSE(got.entry.ok());
    const std::string message(got.entry.status().message());
    EXPECT_EQ(message.find("cassandra"), std::string::npos) << message;
    EXPECT_EQ(message.find("10.0.3.7"), std::string::npos) << message;
    EXPECT_NE(got.entry.status().code(), StatusCode::kInvalidArgument);
  }
  const size_t logged = log_.Count("cluster", "\\x1b[31m\\x0ashoal: fake line");
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 5u);
  EXPECT_TRUE(NoRawControlBytes(log_));
  EXPECT_TRUE(Up(kB));  // the owner answered: it is not down
}

// ---- who may be a peer -------------------------------------------------------------------

TEST_F(PeerReplyTest, WithoutASecretPeersBeyondLoopbackAreRefusedUnlessInsecure) {
  options_.secret.clear();
  Make();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  cache::ReadThrough rt(cache, *cluster_, clock_, {});
  Status st = cluster_->Start(rt);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("cluster.secret"), std::string_view::npos) << st.ToString();
  cluster_->Stop();

  options_.insecure = true;
  Make();
  cache::ReadThrough rt2(cache, *cluster_, clock_, {});
  ASSERT_TRUE(cluster_->Start(rt2).ok());
  EXPECT_EQ(log_.Count("cluster", "cluster.insecure"), 1u);
  cluster_->Stop();
}

TEST_F(PeerReplyTest, WithoutASecretLoopbackPeersAreFineAndSetPeersRefusesOthers) {
  options_.secret.clear();
  options_.self = "127.0.0.1:7001";
  options_.peers = {"127.0.0.1:7001", "127.0.0.2:7001", "localhost:7002"};
  Make();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  cache::ReadThrough rt(cache, *cluster_, clock_, {});
  ASSERT_TRUE(cluster_->Start(rt).ok());
  Status st = cluster_->SetPeers({"127.0.0.1:7001", "10.0.0.2:7001"});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster_->Peers().size(), 3u);  // unchanged
  EXPECT_EQ(log_.Count("cluster", "cluster.insecure"), 0u);
  cluster_->Stop();
}

TEST_F(PeerReplyTest, OnlyKnownNodesOtherThanThisOneMayCall) {
  Make();
  cache::Cache cache({.capacity_bytes = 1 << 20});
  cache::ReadThrough rt(cache, *cluster_, clock_, {});
  ASSERT_TRUE(cluster_->Start(rt).ok());
  PeerService* service = transport_.service();
  ASSERT_NE(service, nullptr);
  EXPECT_FALSE(service->KnownCaller(kSelf));
  EXPECT_TRUE(service->KnownCaller(kB));
  EXPECT_TRUE(service->KnownCaller("10.0.0.9:7001"));  // no `callers` list: a front node
  cluster_->Stop();

  options_.callers = {"10.0.0.9:7001"};
  Make();
  cache::ReadThrough rt2(cache, *cluster_, clock_, {});
  ASSERT_TRUE(cluster_->Start(rt2).ok());
  service = transport_.service();
  EXPECT_FALSE(service->KnownCaller(kSelf));
  EXPECT_TRUE(service->KnownCaller(kC));
  EXPECT_TRUE(service->KnownCaller("10.0.0.9:7001"));
  EXPECT_FALSE(service->KnownCaller("10.6.6.6:7001"));
  cluster_->Stop();
}

}  // namespace
}  // namespace shoal::cluster
