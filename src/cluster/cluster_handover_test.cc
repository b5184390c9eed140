// Unit tests of handover (handover.h) through Cluster, with the fake transport: a key this
// node owns since the list changed (or since start) is first asked of its previous owner's
// memory, only within the window and when on, never taken over when older than a purge
// applied here; and the cut-off: after kHandoverMissesToEnd asks in a row that found nothing,
// a list change's handover ends (a hit resets the count; the next change asks again).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster.h"
#include "cluster/cluster_test_fixture.h"
#include "cluster/handover.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using namespace cluster_testing;  // NOLINT(google-build-using-namespace): the test's fixture

// ---- handover ---------------------------------------------------------------------------------

class HandoverTest : public ClusterTest {
 protected:
  HandoverTest() {
    options_.handover = true;
    options_.max_peer_ttl = 60s;  // the window
  }
  // PreviousOwner: the key's owner in the ring without this node (it joined at start).
  std::string PreviousOwner(const std::string& key) const {
    HashRing before({kB, kC}, options_.ring_points);
    return before.Owner(key);
  }
};

TEST_F(HandoverTest, AKeyThisNodeNowOwnsIsAskedOfItsPreviousOwnersMemoryFirst) {
  Make();
  const std::string key = KeyOwnedBy(kSelf);
  FakePeer& prev = transport_.peer(PreviousOwner(key));
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "from " + PreviousOwner(key));
  EXPECT_EQ(got.keep, cache::Keep::kMain);  // this node owns it now
  EXPECT_TRUE(inner_.asked().empty());      // no store load
  EXPECT_EQ(prev.gets(), std::vector<std::string>{key});
  EXPECT_EQ(prev.memory_only(), std::vector<bool>{true});
  EXPECT_EQ(cluster_->Stats().handover_hits, 1u);
  // Not held there (or failing): the store, as without handover.
  const std::string other = KeyOwnedBy(kSelf, 1);
  transport_.peer(PreviousOwner(other)).set_mode(FakePeer::Mode::kOwnerError);
  got = Load(other);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "local");
  EXPECT_EQ(InnerKeys(), std::vector<std::string>{other});
  EXPECT_EQ(cluster_->Stats().handover_misses, 1u);
}

TEST_F(HandoverTest, OnlyWithinTheWindowAndNotWhenOff) {
  Make();
  clock_.Advance(61s);
  const std::string key = KeyOwnedBy(kSelf);
  Load(key);
  EXPECT_EQ(InnerKeys(), std::vector<std::string>{key});
  EXPECT_TRUE(transport_.peer(PreviousOwner(key)).gets().empty());
}

TEST_F(HandoverTest, OffMeansTheStoreAtOnce) {
  options_.handover = false;
  Make();
  const std::string key = KeyOwnedBy(kSelf);
  Load(key);
  EXPECT_EQ(InnerKeys(), std::vector<std::string>{key});
  EXPECT_TRUE(transport_.peer(PreviousOwner(key)).gets().empty());
}

TEST_F(HandoverTest, AnAnswerOlderThanAPurgeHereIsNotTakenOver) {
  Make();
  cache::Cache main({.capacity_bytes = 1 << 20});
  cache::ReadThrough rt(main, *cluster_, clock_);
  ASSERT_TRUE(cluster_->Start(rt).ok());
  const std::string key = KeyOwnedBy(kSelf);
  cluster_->Purge({PurgeKind::kKey, key}, [](const PurgeSummary&) {});
  transport_.peer(PreviousOwner(key)).set_reply(ReplyWithFill(key, 0, clock_.Now()));
  Loaded got = Load(key);
  ASSERT_TRUE(got.entry.ok());
  EXPECT_EQ(Body(*got.entry), "local");  // the store's, not the old copy
  EXPECT_EQ(cluster_->Stats().handover_misses, 1u);
  cluster_->Stop();
}

// ---- the cut-off ------------------------------------------------------------------------------

constexpr std::string_view kEnded =
    "handover from the previous list ended: 64 asks in a row found nothing";

// Both previous owners (B, C) fail every ask, until a test says otherwise.
class HandoverCutOffTest : public HandoverTest {
 protected:
  void SetUp() override {
    Make();
    for (const std::string& p : {kB, kC}) transport_.peer(p).set_mode(FakePeer::Mode::kOwnerError);
  }
  void TearDown() override { cluster_->Stop(); }
  size_t Asks() { return transport_.peer(kB).gets().size() + transport_.peer(kC).gets().size(); }
  // LoadOwnedKeys loads `n` keys this node owns, none loaded before.
  void LoadOwnedKeys(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) Load(KeyOwnedBy(kSelf, next_++));
  }
  int next_ = 0;
  cache::Cache main_{{.capacity_bytes = 1 << 20}};
  std::unique_ptr<cache::ReadThrough> rt_;  // started by the test that needs the service
};

TEST_F(HandoverCutOffTest, AfterSixtyFourAsksInARowFoundNothingNoMoreGoOut) {
  ASSERT_EQ(kHandoverMissesToEnd, 64u);
  LoadOwnedKeys(kHandoverMissesToEnd - 1);
  EXPECT_EQ(Asks(), 63u);
  EXPECT_EQ(log_.Count("cluster", "handover from the previous list ended"), 0u);
  LoadOwnedKeys(1);
  EXPECT_EQ(Asks(), 64u);
  EXPECT_EQ(log_.Count("cluster", kEnded), 1u);
  LoadOwnedKeys(10);
  EXPECT_EQ(Asks(), 64u);  // none since
  EXPECT_EQ(InnerKeys().size(), 74u);
  EXPECT_EQ(cluster_->Stats().handover_misses, 64u);
  EXPECT_EQ(log_.Count("cluster", "handover from the previous list ended"), 1u);  // once
}

TEST_F(HandoverCutOffTest, AHitResetsTheCount) {
  LoadOwnedKeys(kHandoverMissesToEnd - 1);
  const std::string held = KeyOwnedBy(kSelf, next_++);
  FakePeer& prev = transport_.peer(PreviousOwner(held));
  prev.set_mode(FakePeer::Mode::kAnswer);
  ASSERT_EQ(Body(*Load(held).entry), "from " + PreviousOwner(held));
  prev.set_mode(FakePeer::Mode::kOwnerError);
  EXPECT_EQ(cluster_->Stats().handover_hits, 1u);
  LoadOwnedKeys(kHandoverMissesToEnd - 1);
  EXPECT_EQ(Asks(), 127u);  // 63 + the hit + 63: still asking
  EXPECT_EQ(log_.Count("cluster", "handover from the previous list ended"), 0u);
  LoadOwnedKeys(1);
  EXPECT_EQ(Asks(), 128u);
  LoadOwnedKeys(1);
  EXPECT_EQ(Asks(), 128u);  // the 64th in a row ended it
  EXPECT_EQ(log_.Count("cluster", kEnded), 1u);
}

TEST_F(HandoverCutOffTest, ANewListChangeAsksAgain) {
  for (const std::string& p : {kB, kC}) {
    transport_.set_members(p, [](const MembersRequest& r) -> Result<MembersReply> {
      return MembersReply{r.list.version, std::nullopt};
    });
  }
  rt_ = std::make_unique<cache::ReadThrough>(main_, *cluster_, clock_);
  ASSERT_TRUE(cluster_->Start(*rt_).ok());
  LoadOwnedKeys(kHandoverMissesToEnd + 5);
  ASSERT_EQ(Asks(), 64u);
  // B tells this node of a list without it, then of one with it again: it joins once more,
  // so its keys were B's and C's before.
  auto version = [](uint64_t epoch, std::vector<std::string> members) {
    MemberList l = StaticList(std::move(members));
    l.version.epoch = epoch;
    l.version.origin = kB;
    return l;
  };
  transport_.service()->ServeMembers(MembersRequest{false, kB, version(5, {kB, kC})});
  transport_.service()->ServeMembers(MembersRequest{false, kB, version(6, {kSelf, kB, kC})});
  ASSERT_EQ(cluster_->Stats().list_epoch, 6u);
  ASSERT_TRUE(cluster_->IsLocal(KeyOwnedBy(kSelf, next_)));
  LoadOwnedKeys(1);
  EXPECT_EQ(Asks(), 65u);  // asking again
  LoadOwnedKeys(kHandoverMissesToEnd + 5);
  EXPECT_EQ(Asks(), 128u);  // and ending again, after 64
  EXPECT_EQ(log_.Count("cluster", kEnded), 2u);
}

}  // namespace
}  // namespace shoal::cluster
