// Unit tests of purge sequencing (purge_sequencer.h, purge_coordinator.h) and of deadlines
// across hops, with the fake transport: either one Cluster facing fake peers that answer what
// the test says, or two real Clusters (H = kSelf, O = kB) whose fakes are wired to each
// other's PeerService (FakePeer::link), each with its own caches and a versioned store, so a
// test can cut the wire, purge, change the store, mend the wire and see what each node keeps.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster.h"
#include "cluster/cluster_test_fixture.h"
#include "cluster/purge_sequencer.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using namespace cluster_testing;  // NOLINT(google-build-using-namespace): the test's fixture

// ---- the sequencer alone ---------------------------------------------------------------------

TEST(PurgeSequencerTest, StampsFollowTheHighestSequenceSeenAndCountPerOrigin) {
  PurgeSequencer a({.self = "a:1", .incarnation = 11});
  a.Observe(41);
  PurgeTarget t = a.Originate({PurgeKind::kKey, "/k"}, std::nullopt);
  EXPECT_EQ(t.stamp.seq, 42u);
  EXPECT_EQ(t.stamp.origin, "a:1");
  EXPECT_EQ(t.stamp.incarnation, 11u);
  EXPECT_EQ(t.stamp.n, 1u);
  EXPECT_EQ(a.Originate({PurgeKind::kKey, "/j"}, std::nullopt).stamp.n, 2u);
  EXPECT_EQ(a.MaxSeen(), 43u);
  // Floors: the key's slot, not another key's; nothing for the whole cache.
  EXPECT_EQ(a.Floor("/k", 0), 42u);
  EXPECT_EQ(a.KeyFloor("/other"), 0u);

  PurgeSequencer b({.self = "b:1"});
  EXPECT_TRUE(b.Receive(t, std::nullopt).apply);
  EXPECT_EQ(b.MaxSeen(), 42u);  // Lamport: raised on receipt
  EXPECT_EQ(b.Floor("/k", 0), 42u);
}

TEST(PurgeSequencerTest, DuplicatesAreSkippedAndAGapIsReported) {
  PurgeSequencer a({.self = "a:1"});
  const PurgeTarget p1 = a.Originate({PurgeKind::kKey, "/1"}, std::nullopt);
  const PurgeTarget p2 = a.Originate({PurgeKind::kKey, "/2"}, std::nullopt);
  PurgeSequencer b({.self = "b:1"});
  Receipt r = b.Receive(p2, std::nullopt);
  EXPECT_TRUE(r.apply);
  EXPECT_TRUE(r.gap);  // n=1 has not arrived
  r = b.Receive(p1, std::nullopt);
  EXPECT_TRUE(r.apply);
  EXPECT_FALSE(r.gap);
  EXPECT_FALSE(b.Receive(p1, std::nullopt).apply);
  EXPECT_FALSE(b.Receive(p2, std::nullopt).apply);
  // b now counts a's 1 and 2 as applied: a sync request says so.
  EXPECT_EQ(b.MakeSyncRequest("a:1").applied_from_you, 2u);
}

TEST(PurgeSequencerTest, EndpointPurgesRaiseTheirGroupOrElseTheWholeCache) {
  PurgeSequencer a({.self = "a:1"});
  a.Originate({PurgeKind::kEndpoint, "/v1/items/{id}"}, 3u);
  EXPECT_EQ(a.Floor("/v1/items/1", 3), 1u);
  EXPECT_EQ(a.Floor("/v1/items/1", 4), 0u);
  a.Originate({PurgeKind::kEndpoint, "/v1/unknown"}, std::nullopt);
  EXPECT_EQ(a.Floor("/anything", 4), 2u);
}

TEST(PurgeSequencerTest, ATagPurgeRefusesCopiesCarryingTheTagFilledBeforeIt) {
  PurgeSequencer a({.self = "a:1"});
  const auto entry = [](std::string key, std::string tags, uint64_t fill) {
    cache::EntryOptions o;
    o.key = std::move(key);
    o.body = Bytes::Copy("{}");
    o.tags = std::move(tags);
    o.fill_seq = fill;
    return cache::Entry::Make(std::move(o));
  };
  const PurgeTarget t = a.Originate({PurgeKind::kTag, "item:5 item:6"}, std::nullopt);
  EXPECT_EQ(t.stamp.seq, 1u);
  EXPECT_FALSE(a.MayKeep(*entry("/x", "category:a item:6", 0), 0));  // filled before
  EXPECT_TRUE(a.MayKeep(*entry("/x", "category:a item:6", 1), 0));   // after
  EXPECT_TRUE(a.MayKeep(*entry("/x", "category:a item:7", 0), 0));   // another tag
  EXPECT_EQ(a.Floor("/x", 0), 0u);  // the key and group floors did not move
  cache::EntryOptions o = entry("/y", "", 9)->CopyOptions();
  o.no_store = true;
  EXPECT_FALSE(a.MayKeep(*cache::Entry::Make(std::move(o)), 0));  // never kept
}

TEST(PurgeSequencerTest, ASyncResendsWhatTheLogHoldsOrFlushes) {
  PurgeSequencer a({.self = "a:1", .log_capacity = 2});
  PurgeSequencer b({.self = "b:1"});
  a.Originate({PurgeKind::kKey, "/1"}, std::nullopt);
  // b asks a: it applied nothing; a's log still starts at 1.
  bool flush = false;
  SyncReply reply = a.AnswerSync(b.MakeSyncRequest("a:1"), &flush);
  EXPECT_FALSE(flush);
  EXPECT_FALSE(reply.flush);
  ASSERT_EQ(reply.purges.size(), 1u);
  EXPECT_EQ(reply.purges[0].text, "/1");
  EXPECT_FALSE(b.TakeSyncReply("a:1", reply));
  for (const PurgeTarget& t : reply.purges) b.Receive(t, std::nullopt);
  // Three more: the log (2) holds only n=3 and n=4; b applied 1: it must flush.
  a.Originate({PurgeKind::kKey, "/2"}, std::nullopt);
  a.Originate({PurgeKind::kKey, "/3"}, std::nullopt);
  a.Originate({PurgeKind::kKey, "/4"}, std::nullopt);
  reply = a.AnswerSync(b.MakeSyncRequest("a:1"), &flush);
  EXPECT_TRUE(reply.flush);
  EXPECT_TRUE(reply.purges.empty());
  EXPECT_TRUE(b.TakeSyncReply("a:1", reply));
  EXPECT_EQ(b.Floor("/unrelated", 0), a.MaxSeen());  // nothing older is kept now
  EXPECT_EQ(b.MakeSyncRequest("a:1").applied_from_you, 4u);
  // The other direction: a caller whose log cannot cover what the callee missed makes the
  // callee flush itself.
  PurgeSequencer c({.self = "c:1"});
  c.AnswerSync(a.MakeSyncRequest("c:1"), &flush);
  EXPECT_TRUE(flush);
}

TEST(PurgeSequencerTest, ARestartedOriginIsANewIncarnation) {
  PurgeSequencer old_a({.self = "a:1", .incarnation = 1});
  PurgeSequencer b({.self = "b:1"});
  b.Receive(old_a.Originate({PurgeKind::kKey, "/1"}, std::nullopt), std::nullopt);
  PurgeSequencer new_a({.self = "a:1", .incarnation = 2});
  const PurgeTarget p = new_a.Originate({PurgeKind::kKey, "/x"}, std::nullopt);
  EXPECT_EQ(p.stamp.n, 1u);
  EXPECT_TRUE(b.Receive(p, std::nullopt).apply);  // not taken for the old n=1
}

// ---- one node and fake peers -------------------------------------------------------------------

class PurgeRaceTest : public ClusterTest {
 protected:
  PurgeRaceTest() { options_.hot_min_hits = 1; }  // every answer may become a hot copy
  void Start() {
    Make();
    rt_ = std::make_unique<cache::ReadThrough>(main_, *cluster_, clock_,
                                               cache::ReadThroughOptions{}, &hot_);
    ASSERT_TRUE(cluster_->Start(*rt_).ok());
  }
  void TearDown() override {
    if (cluster_) cluster_->Stop();
  }
  void PurgeHere(PurgeKind kind, const std::string& text) {
    cluster_->Purge({kind, text}, [](const PurgeSummary&) {});
  }

  cache::Cache main_{{.capacity_bytes = 1 << 20}};
  cache::Cache hot_{{.capacity_bytes = 1 << 20}};
  std::unique_ptr<cache::ReadThrough> rt_;
};

TEST_F(PurgeRaceTest, AnAnswerOlderThanAPurgeAppliedHereIsServedButNotKept) {
  Start();
  const std::string key = KeyOwnedBy(kB);
  FakePeer& b = transport_.peer(kB);
  PurgeHere(PurgeKind::kKey, key);  // sequence 1 here; the owner has not applied it yet
  // The owner answers with the entry it loaded before (fill 0): served, not kept.
  b.set_reply(ReplyWithFill(key, 0, clock_.Now()));
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "owner's");
  EXPECT_EQ(got.keep, cache::Keep::kNone);
  EXPECT_EQ(cluster_->Stats().copies_refused, 1u);
  // The GET told the owner this node's floor for the key, so that it can see it is behind.
  ASSERT_FALSE(b.floors().empty());
  EXPECT_EQ(b.floors().back(), 1u);
  // A fill that began after the purge (sequence >= 1) is kept.
  b.set_reply(ReplyWithFill(key, 1, clock_.Now()));
  got = Load(key);
  EXPECT_EQ(got.keep, cache::Keep::kHot);
  EXPECT_EQ(cluster_->Stats().copies_refused, 1u);
  // Another key's slot is not affected: an old fill of it is kept.
  const std::string other = KeyOwnedBy(kB, 1);
  b.set_reply(ReplyWithFill(other, 0, clock_.Now()));
  EXPECT_EQ(Load(other).keep, cache::Keep::kHot);
}

TEST_F(PurgeRaceTest, AnEndpointPurgeRefusesOlderAnswersOfItsGroupOnly) {
  int group = 0;  // the fixture's store puts every key in group 0
  options_.group_of_route = [&group](std::string_view) -> std::optional<uint32_t> { return group; };
  Start();
  const std::string key = KeyOwnedBy(kB);
  FakePeer& b = transport_.peer(kB);
  group = 5;  // an endpoint whose keys are not this one's
  PurgeHere(PurgeKind::kEndpoint, "/v1/other/{id}");
  b.set_reply(ReplyWithFill(key, 0, clock_.Now()));
  EXPECT_EQ(Load(key).keep, cache::Keep::kHot);
  group = 0;  // now the key's own endpoint
  PurgeHere(PurgeKind::kEndpoint, "/v1/items/{id}");
  b.set_reply(ReplyWithFill(key, 1, clock_.Now()));  // began before this purge (sequence 2)
  EXPECT_EQ(Load(key).keep, cache::Keep::kNone);
  b.set_reply(ReplyWithFill(key, 2, clock_.Now()));
  EXPECT_EQ(Load(key).keep, cache::Keep::kHot);
}

TEST_F(PurgeRaceTest, StampedPurgesFromAPeerApplyOnceInAnyOrderAndAGapStartsACatchUp) {
  Start();
  FakePeer& b = transport_.peer(kB);
  PurgeTarget p1{PurgeKind::kKey, "/1"};
  p1.stamp = PurgeStamp{7, kB, 1, 1};  // incarnation 1: as the fake peer answers syncs
  PurgeTarget p2{PurgeKind::kKey, "/2"};
  p2.stamp = PurgeStamp{8, kB, 1, 2};
  PeerService& service = *transport_.service();
  ASSERT_TRUE(service.ServePurge(p2).ok());  // n=2 before n=1: applied, and a gap
  EXPECT_EQ(b.syncs(), 1);
  ASSERT_TRUE(service.ServePurge(p1).ok());
  ASSERT_TRUE(service.ServePurge(p1).ok());  // duplicates: skipped
  ASSERT_TRUE(service.ServePurge(p2).ok());
  EXPECT_EQ(local_purges_, (std::vector<std::string>{"/2", "/1"}));
  EXPECT_EQ(cluster_->Stats().purge_duplicates, 2u);
  EXPECT_EQ(b.syncs(), 1);
  // This node's next purge is stamped above what it saw (Lamport).
  PurgeHere(PurgeKind::kKey, "/3");
  ASSERT_FALSE(b.stamps().empty());
  EXPECT_EQ(b.stamps().back().seq, 9u);
  EXPECT_EQ(b.stamps().back().origin, kSelf);
  EXPECT_EQ(b.stamps().back().n, 1u);
}

// ---- deadlines across hops ---------------------------------------------------------------------

// HeldLoader: a store whose loads wait until the test releases them.
class HeldLoader final : public cache::Loader {
 public:
  void Load(std::string key, cache::Scope, cache::LoadCallback done) override {
    held_.emplace_back(std::move(key), std::move(done));
  }
  void ReleaseAll(TimePoint now) {
    auto held = std::move(held_);
    held_.clear();
    for (auto& [key, done] : held) done(MakeEntry(key, "stored", now), cache::Keep::kMain);
  }
  size_t held() const { return held_.size(); }

 private:
  std::vector<std::pair<std::string, cache::LoadCallback>> held_;
};

struct Served {
  int calls = 0;
  Result<cache::EntryPtr> entry = Status::Internal("not answered");
};

class DeadlineTest : public ::testing::Test {
 protected:
  DeadlineTest() {
    options_.self = kSelf;
    options_.peers = {kSelf, kB};
    options_.secret = "s";
    options_.min_load_time = 5ms;
    options_.handover = false;  // the store loads here, held by the test
  }
  void Start() {
    cluster_ = std::make_unique<Cluster>(
        options_, transport_, store_, clock_,
        [](cache::ReadThrough&, const PurgeTarget&) -> Result<uint64_t> { return uint64_t{0}; });
    rt_ = std::make_unique<cache::ReadThrough>(cache_, *cluster_, clock_);
    ASSERT_TRUE(cluster_->Start(*rt_).ok());
  }
  void TearDown() override {
    store_.ReleaseAll(clock_.Now());
    if (cluster_) cluster_->Stop();
  }
  std::shared_ptr<Served> Serve(const std::string& key, Duration deadline) {
    auto out = std::make_shared<Served>();
    transport_.service()->ServeGet(GetRequest{key, 0, deadline},
                                   [out](Result<cache::EntryPtr> r, uint64_t) {
                                     out->entry = std::move(r);
                                     ++out->calls;
                                   });
    return out;
  }

  ManualClock clock_;
  FakeTransport transport_{clock_};
  HeldLoader store_;
  ClusterOptions options_;
  cache::Cache cache_{{.capacity_bytes = 1 << 20}};
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<cache::ReadThrough> rt_;
};

TEST_F(DeadlineTest, AGetWithTooLittleTimeLeftStartsNoLoadButMayJoinOne) {
  Start();
  std::shared_ptr<Served> short_one = Serve("/a", 2ms);  // below min_load_time (5 ms)
  EXPECT_EQ(short_one->calls, 1);
  ASSERT_FALSE(short_one->entry.ok());
  EXPECT_EQ(short_one->entry.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(store_.held(), 0u);
  EXPECT_EQ(cluster_->Stats().deadline_refused, 1u);
  // A load already running is joined, whatever the time left.
  std::shared_ptr<Served> first = Serve("/b", 1s);
  std::shared_ptr<Served> joined = Serve("/b", 2ms);
  EXPECT_EQ(store_.held(), 1u);
  store_.ReleaseAll(clock_.Now());
  EXPECT_EQ(first->calls, 1);
  EXPECT_EQ(joined->calls, 1);
  EXPECT_TRUE(joined->entry.ok());
  EXPECT_EQ(cluster_->Stats().deadline_refused, 1u);
}

TEST_F(DeadlineTest, AReplyAfterTheCallerGaveUpIsDropped) {
  Start();
  std::shared_ptr<Served> late = Serve("/slow", 300ms);
  std::shared_ptr<Served> untimed = Serve("/slow", Duration::zero());  // no deadline given
  clock_.Advance(400ms);
  store_.ReleaseAll(clock_.Now());
  EXPECT_EQ(late->calls, 0);  // never answered: the caller's own timeout did
  EXPECT_EQ(untimed->calls, 1);
  EXPECT_EQ(cluster_->Stats().late_dropped, 1u);
  // The load itself was kept: the next caller hits it.
  std::shared_ptr<Served> next = Serve("/slow", 300ms);
  EXPECT_EQ(next->calls, 1);
  EXPECT_TRUE(next->entry.ok());
}

TEST_F(DeadlineTest, TheCallerSendsItsPeerTimeoutAsTheDeadline) {
  options_.peer_timeout = 250ms;
  Start();
  // kB owns some key: find one.
  HashRing ring(options_.peers, options_.ring_points);
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    std::string k = "/v1/items/" + std::to_string(i);
    if (ring.nodes()[ring.OwnerIndex(k)] == kB) key = k;
  }
  cluster_->Load(key, cache::Scope::kCluster, [](const Result<cache::EntryPtr>&, cache::Keep) {});
  EXPECT_EQ(transport_.peer(kB).timeouts(), std::vector<Duration>{250ms});
}

// ---- two nodes wired together
// --------------------------------------------------------------------

// VersionedStore: every load answers the current version of the "row".
class VersionedStore final : public cache::Loader {
 public:
  explicit VersionedStore(const Clock& clock) : clock_(clock) {}
  void Load(std::string key, cache::Scope, cache::LoadCallback done) override {
    ++loads;
    done(MakeEntry(key, "v" + std::to_string(version), clock_.Now()), cache::Keep::kMain);
  }
  int version = 1;
  int loads = 0;

 private:
  const Clock& clock_;
};

// Node: one Cluster with its caches, store and fake transport.
struct Node {
  Node(const std::string& self, const std::vector<std::string>& peers, ManualClock& clock,
       size_t purge_log)
      : transport(clock), store(clock) {
    ClusterOptions o;
    o.self = self;
    o.peers = peers;
    o.secret = "s";
    o.hot_min_hits = 1;
    o.purge_log = purge_log;
    cluster = std::make_unique<Cluster>(
        o, transport, store, clock, [](cache::ReadThrough& r, const PurgeTarget& t) {
          if (t.kind == PurgeKind::kKey) return Result<uint64_t>(r.Erase(t.text));
          return Result<uint64_t>(r.PurgeGroup(0));  // endpoints and kAll: the one group
        });
    rt = std::make_unique<cache::ReadThrough>(main, *cluster, clock, cache::ReadThroughOptions{},
                                              &hot);
    EXPECT_TRUE(cluster->Start(*rt).ok());
  }
  ~Node() { cluster->Stop(); }

  // Body: what this node serves for `key` now (from memory, else loading).
  std::string Get(const std::string& key) const {
    cache::Source source;
    if (cache::EntryPtr e = rt->Lookup(key, &source)) return Body(e);
    std::string body = "(no answer)";
    rt->Load(key, [&body](Result<cache::EntryPtr> r, cache::Source) {
      body = r.ok() ? Body(*r) : std::string(r.status().message());
    });
    return body;
  }
  bool Holds(const std::string& key) const {
    cache::Source source;
    return rt->Lookup(key, &source) != nullptr;
  }

  FakeTransport transport;
  VersionedStore store;
  cache::Cache main{{.capacity_bytes = 1 << 20}};
  cache::Cache hot{{.capacity_bytes = 1 << 20}};
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<cache::ReadThrough> rt;
};

class TwoNodeTest : public ::testing::Test {
 protected:
  void Build(size_t h_log = 4096, size_t o_log = 4096) {
    h_ = std::make_unique<Node>(kSelf, peers_, clock_, h_log);
    o_ = std::make_unique<Node>(kB, peers_, clock_, o_log);
    // Both share one "row": the store is the same database.
    h_->transport.peer(kB).link(o_->transport.service());
    o_->transport.peer(kSelf).link(h_->transport.service());
  }
  void Cut(bool cut) {
    h_->transport.peer(kB).cut(cut);
    o_->transport.peer(kSelf).cut(cut);
  }
  void SetRow(int version) {
    h_->store.version = version;
    o_->store.version = version;
  }
  std::string KeyOwnedBy(const std::string& node, int skip = 0) const {
    HashRing ring(peers_, 160);
    for (int i = 0;; ++i) {
      std::string key = "/v1/items/" + std::to_string(i);
      if (ring.nodes()[ring.OwnerIndex(key)] == node && skip-- == 0) return key;
    }
  }
  void Purge(Node& node, const std::string& key) {
    node.cluster->Purge({PurgeKind::kKey, key}, [](const PurgeSummary&) {});
  }

  ManualClock clock_;
  std::vector<std::string> peers_{kSelf, kB};
  std::unique_ptr<Node> h_, o_;
};

TEST_F(TwoNodeTest, AfterAPurgeTheOwnerThatMissedItServesTheNewRowToTheNodeThatAsks) {
  Build();
  const std::string key = KeyOwnedBy(kB);
  EXPECT_EQ(h_->Get(key), "v1");  // loaded by O, a hot copy on H
  EXPECT_TRUE(h_->Holds(key));
  // The row changes and H purges, but the purge does not reach O.
  SetRow(2);
  h_->transport.peer(kB).set_purge_ok(false);
  Purge(*h_, key);
  EXPECT_FALSE(h_->Holds(key));
  EXPECT_EQ(o_->Get(key), "v1");  // O still holds the old row...
  // ...until H asks for it: the GET carries H's floor for the key, O sees it missed a purge,
  // drops its copy and loads the new row, which H may keep.
  EXPECT_EQ(h_->Get(key), "v2");
  EXPECT_EQ(o_->Get(key), "v2");
  EXPECT_EQ(o_->cluster->Stats().purge_behind, 1u);
  EXPECT_TRUE(h_->Holds(key));
}

TEST_F(TwoNodeTest, APeerCutOffDuringAPurgeCatchesUpWhenTheLinkMends) {
  Build();
  const std::string owned_by_o = KeyOwnedBy(kB);
  const std::string owned_by_h = KeyOwnedBy(kSelf);
  EXPECT_EQ(o_->Get(owned_by_o), "v1");
  EXPECT_EQ(o_->Get(owned_by_h), "v1");  // a hot copy on O of H's key
  Cut(true);
  SetRow(2);
  Purge(*h_, owned_by_o);
  Purge(*h_, owned_by_h);
  // O missed both; H arms a catch-up (its first try failed on the cut link).
  EXPECT_EQ(o_->Get(owned_by_o), "v1");
  EXPECT_GE(h_->transport.timers(), 1u);
  Cut(false);
  h_->transport.FireTimers();  // the retry: PURGE_SYNC, then H resends what O missed
  EXPECT_FALSE(o_->Holds(owned_by_o));
  EXPECT_FALSE(o_->Holds(owned_by_h));
  EXPECT_EQ(o_->Get(owned_by_o), "v2");
  EXPECT_EQ(o_->Get(owned_by_h), "v2");
  EXPECT_GE(h_->cluster->Stats().purge_syncs, 1u);
  EXPECT_EQ(h_->cluster->Stats().purge_resent, 2u);
}

TEST_F(TwoNodeTest, ANodeThatWasDownPullsThePurgesItMissedWhenItsPeerAnswersAgain) {
  Build();
  const std::string key = KeyOwnedBy(kB);
  EXPECT_EQ(h_->Get(key), "v1");
  EXPECT_TRUE(h_->Holds(key));  // hot copy
  Cut(true);
  SetRow(2);
  Purge(*o_, key);  // O purges; H is cut off
  EXPECT_TRUE(h_->Holds(key));
  // H finds O down (another key's GET fails) and probes it.
  EXPECT_EQ(h_->Get(KeyOwnedBy(kB, 1)), "v2");  // loaded here instead
  Cut(false);
  h_->transport.FireTimers();  // the probe answers: H syncs and applies O's purge
  EXPECT_FALSE(h_->Holds(key));
  EXPECT_EQ(h_->Get(key), "v2");
  EXPECT_GE(h_->cluster->Stats().purge_syncs, 1u);
}

TEST_F(TwoNodeTest, WhenTheLogNoLongerReachesBackThePeerFlushes) {
  Build(/*h_log=*/2);
  const std::string keep = KeyOwnedBy(kB, 5);
  EXPECT_EQ(o_->Get(keep), "v1");
  Cut(true);
  SetRow(2);
  for (int i = 0; i < 3; ++i) Purge(*h_, KeyOwnedBy(kB, i));  // H's log keeps only 2
  Cut(false);
  h_->transport.FireTimers();
  // O could not be sent purge n=1 any more: it flushed everything, `keep` included.
  EXPECT_EQ(o_->cluster->Stats().purge_flushes, 1u);
  EXPECT_FALSE(o_->Holds(keep));
  EXPECT_EQ(o_->Get(keep), "v2");
}

}  // namespace
}  // namespace shoal::cluster
