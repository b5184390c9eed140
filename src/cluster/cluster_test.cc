// Unit tests of Cluster's decisions, with in-memory fake peers (FakeTransport) and a
// ManualClock: owner routing, failover to a local load when the owner fails or times out
// (and when it is marked down and probed), hot-copy admission by frequency, a peer's request
// never forwarded again, purge fan-out, and the down/up log lines. No sockets, no threads:
// every fake answers (or holds the call) on the test's command, so each test asserts exactly
// what the peers received and what the inner loader was asked.
#include "cluster/cluster.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/memory_logger.h"
#include "base/mutex.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "cluster/hash_ring.h"
#include "cluster/peer_transport.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;

const std::string kSelf = "10.0.0.1:7001";
const std::string kB = "10.0.0.2:7001";
const std::string kC = "10.0.0.3:7001";

cache::EntryPtr MakeEntry(const std::string& key, const std::string& body, TimePoint now) {
  cache::EntryOptions o;
  o.key = key;
  o.body = Bytes::Copy(body);
  o.created = now;
  o.fresh_until = now + 60s;
  o.stale_until = now + 120s;
  return cache::Entry::Make(std::move(o));
}

std::string Body(const cache::EntryPtr& e) { return std::string(e->body().view()); }

// FakePeer: one other node. What it was asked is recorded; how it answers is set by the test.
class FakePeer final : public PeerClient {
 public:
  enum class Mode { kAnswer, kFail, kSilent, kOwnerError };

  FakePeer(std::string name, const Clock& clock) : name_(std::move(name)), clock_(clock) {}

  void Get(std::string key, Duration timeout, GetCallback done) override {
    Mode mode;
    {
      MutexLock lock(mu_);
      gets_.push_back(key);
      timeouts_.push_back(timeout);
      mode = mode_;
      if (mode == Mode::kSilent) {
        held_.push_back(std::move(done));
        return;
      }
    }
    switch (mode) {
      case Mode::kAnswer:
        return done(GetReply{MakeEntry(key, "from " + name_, clock_.Now()), false});
      case Mode::kFail:
        return done(GetReply{Status::Unavailable("connection refused"), false});
      case Mode::kOwnerError:
        return done(GetReply{Status::Internal("the owner's store failed"), true});
      case Mode::kSilent:
        break;
    }
  }

  void Purge(const PurgeTarget& target, Duration, PurgeCallback done) override {
    bool ok;
    {
      MutexLock lock(mu_);
      purges_.push_back(target.text);
      ok = purge_ok_;
    }
    done(ok ? Result<uint64_t>(uint64_t{2}) : Result<uint64_t>(Status::Unavailable("refused")));
  }

  void Ping(Duration, std::function<void(Status)> done) override {
    bool ok;
    {
      MutexLock lock(mu_);
      ++pings_;
      ok = ping_ok_;
    }
    done(ok ? Status::Ok() : Status::Unavailable("no pong"));
  }

  void Close() override {
    std::vector<GetCallback> held;
    {
      MutexLock lock(mu_);
      closed_ = true;
      held.swap(held_);
    }
    for (GetCallback& done : held) done(GetReply{Status::Cancelled("closed"), false});
  }

  // TimeOutHeld answers every held GET the way the transport does when the deadline passes.
  void TimeOutHeld() {
    std::vector<GetCallback> held;
    {
      MutexLock lock(mu_);
      held.swap(held_);
    }
    for (GetCallback& done : held) {
      done(GetReply{Status::DeadlineExceeded("no reply before the deadline"), false});
    }
  }

  void set_mode(Mode m) {
    MutexLock lock(mu_);
    mode_ = m;
  }
  void set_ping_ok(bool ok) {
    MutexLock lock(mu_);
    ping_ok_ = ok;
  }
  void set_purge_ok(bool ok) {
    MutexLock lock(mu_);
    purge_ok_ = ok;
  }
  std::vector<std::string> gets() const {
    MutexLock lock(mu_);
    return gets_;
  }
  std::vector<Duration> timeouts() const {
    MutexLock lock(mu_);
    return timeouts_;
  }
  std::vector<std::string> purges() const {
    MutexLock lock(mu_);
    return purges_;
  }
  int pings() const {
    MutexLock lock(mu_);
    return pings_;
  }
  size_t held() const {
    MutexLock lock(mu_);
    return held_.size();
  }
  bool closed() const {
    MutexLock lock(mu_);
    return closed_;
  }

 private:
  const std::string name_;
  const Clock& clock_;
  mutable Mutex mu_;
  Mode mode_ SHOAL_GUARDED_BY(mu_) = Mode::kAnswer;
  bool ping_ok_ SHOAL_GUARDED_BY(mu_) = true;
  bool purge_ok_ SHOAL_GUARDED_BY(mu_) = true;
  bool closed_ SHOAL_GUARDED_BY(mu_) = false;
  int pings_ SHOAL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> gets_ SHOAL_GUARDED_BY(mu_);
  std::vector<Duration> timeouts_ SHOAL_GUARDED_BY(mu_);
  std::vector<std::string> purges_ SHOAL_GUARDED_BY(mu_);
  std::vector<GetCallback> held_ SHOAL_GUARDED_BY(mu_);
};

// FakeTransport: hands out FakePeers by name, keeps the PeerService, and holds timers until
// the test fires them.
class FakeTransport final : public PeerTransport {
 public:
  explicit FakeTransport(const Clock& clock) : clock_(clock) {}

  std::shared_ptr<PeerClient> Connect(const std::string& peer) override {
    auto p = std::make_shared<FakePeer>(peer, clock_);
    peers_[peer] = p;
    return p;
  }
  Status Serve(PeerService& service) override {
    service_ = &service;
    return Status::Ok();
  }
  uint16_t port() const override { return 0; }
  void StopServing() override { service_ = nullptr; }
  void After(Duration delay, std::function<void()> fn) override {
    delays_.push_back(delay);
    timers_.push_back(std::move(fn));
  }

  FakePeer& peer(const std::string& name) { return *peers_.at(name); }
  PeerService* service() { return service_; }
  size_t timers() const { return timers_.size(); }
  const std::vector<Duration>& delays() const { return delays_; }
  // FireTimers runs the timers armed so far (not those they arm).
  void FireTimers() {
    std::vector<std::function<void()>> due;
    due.swap(timers_);
    for (auto& fn : due) fn();
  }

 private:
  const Clock& clock_;
  std::map<std::string, std::shared_ptr<FakePeer>> peers_;
  PeerService* service_ = nullptr;
  std::vector<std::function<void()>> timers_;
  std::vector<Duration> delays_;
};

// InnerLoader: this node's store; records every key and scope it was asked.
class InnerLoader final : public cache::Loader {
 public:
  explicit InnerLoader(const Clock& clock) : clock_(clock) {}
  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override {
    {
      MutexLock lock(mu_);
      asked_.emplace_back(key, scope);
    }
    done(MakeEntry(key, "local", clock_.Now()), cache::Keep::kMain);
  }
  std::vector<std::pair<std::string, cache::Scope>> asked() const {
    MutexLock lock(mu_);
    return asked_;
  }

 private:
  const Clock& clock_;
  mutable Mutex mu_;
  std::vector<std::pair<std::string, cache::Scope>> asked_ SHOAL_GUARDED_BY(mu_);
};

struct Loaded {
  Result<cache::EntryPtr> entry = Status::Internal("not called");
  cache::Keep keep = cache::Keep::kMain;
  int calls = 0;
};

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() {
    options_.self = kSelf;
    options_.peers = {kSelf, kB, kC};
    options_.peer_timeout = 300ms;
    options_.probe_interval = 700ms;
    options_.hot_min_hits = 3;
    options_.logger = &log_;
  }

  Cluster& Make() {
    cluster_ = std::make_unique<Cluster>(
        options_, transport_, inner_, clock_,
        [this](cache::ReadThrough&, const PurgeTarget& t) -> Result<uint64_t> {
          local_purges_.push_back(t.text);
          return uint64_t{3};
        });
    return *cluster_;
  }

  // MakeWithOwnerDown makes the Cluster with peer B answering in `mode` and failing every
  // ping: an owner that is really down.
  FakePeer& MakeWithOwnerDown(FakePeer::Mode mode) {
    Make();
    FakePeer& b = transport_.peer(kB);
    b.set_mode(mode);
    b.set_ping_ok(false);
    return b;
  }

  // KeyOwnedBy returns a key the ring gives to `node` (the same ring as the Cluster's).
  std::string KeyOwnedBy(const std::string& node, int skip = 0) const {
    HashRing ring(options_.peers, options_.ring_points);
    for (int i = 0;; ++i) {
      std::string key = "/v1/items/" + std::to_string(i);
      if (ring.nodes()[ring.OwnerIndex(key)] == node && skip-- == 0) return key;
    }
  }

  Loaded Load(const std::string& key, cache::Scope scope = cache::Scope::kCluster) {
    auto out = std::make_shared<Loaded>();
    cluster_->Load(key, scope, [out](Result<cache::EntryPtr> e, cache::Keep keep) {
      out->entry = std::move(e);
      out->keep = keep;
      ++out->calls;
    });
    EXPECT_EQ(out->calls, 1) << "the callback must run exactly once (synchronously here)";
    return *out;
  }

  bool Up(const std::string& node) const {
    for (const PeerInfo& p : cluster_->Peers()) {
      if (p.address == node) return p.up;
    }
    ADD_FAILURE() << node << " is not a peer";
    return false;
  }

  std::vector<std::string> InnerKeys() const {
    std::vector<std::string> keys;
    for (const auto& [key, scope] : inner_.asked()) {
      EXPECT_EQ(scope, cache::Scope::kLocal) << key;
      keys.push_back(key);
    }
    return keys;
  }

  ManualClock clock_;
  MemoryLogger log_;
  FakeTransport transport_{clock_};
  InnerLoader inner_{clock_};
  ClusterOptions options_;
  std::vector<std::string> local_purges_;
  std::unique_ptr<Cluster> cluster_;
};

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
  transport_.service()->ServeGet(key, [&reply](const Result<cache::EntryPtr>& r) { reply = r; });
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
  EXPECT_EQ(transport_.peer(kC).purges(), Keys{"/v1/items/7"});
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
