// Unit tests of the versioned member list through Cluster (membership_sync.h), with the fake
// transport: adoption of higher versions only (equal epochs settled by origin, then digest),
// pushes to the old and new members on a change, an exchange on first contact, on a peer
// coming back and on the anti-entropy timer, joining from seeds, and a node that is not in
// the list owning nothing.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster.h"
#include "cluster/cluster_test_fixture.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using namespace cluster_testing;  // NOLINT(google-build-using-namespace): the test's fixture

MemberList Version(uint64_t epoch, std::string origin, std::vector<std::string> members) {
  MemberList l = StaticList(std::move(members));
  l.version.epoch = epoch;
  l.version.origin = std::move(origin);
  return l;
}

MembersRequest From(const std::string& sender, MemberList list, bool join = false) {
  return MembersRequest{join, sender, std::move(list)};
}

// Answering: a fake peer that answers MEMBERS with `version` (and no list).
auto Answering(const ListVersion& version) {
  return [version](const MembersRequest&) -> Result<MembersReply> {
    return MembersReply{version, std::nullopt};
  };
}

class MembersTest : public ClusterTest {
 protected:
  void Start() {
    if (!cluster_) Make();
    for (const std::string& p : {kB, kC}) transport_.set_members(p, Answering(Current().version));
    rt_ = std::make_unique<cache::ReadThrough>(cache_, *cluster_, clock_,
                                               cache::ReadThroughOptions{});
    ASSERT_TRUE(cluster_->Start(*rt_).ok());
  }
  void TearDown() override {
    if (cluster_) cluster_->Stop();
  }
  MemberList Current() const {
    ClusterView v = cluster_->View();
    MemberList l;
    l.version = v.version;
    for (const MemberView& m : v.members) l.members.push_back(m.address);
    return l;
  }
  size_t Sent(const std::string& peer) { return transport_.members_sent(peer).size(); }
  MembersRequest LastSent(const std::string& peer) {
    std::vector<MembersRequest> sent = transport_.members_sent(peer);
    EXPECT_FALSE(sent.empty()) << peer;
    return sent.empty() ? MembersRequest{} : sent.back();
  }
  MembersReply Serve(const MembersRequest& r) { return transport_.service()->ServeMembers(r); }

  cache::Cache cache_{{.capacity_bytes = 1 << 20}};
  std::unique_ptr<cache::ReadThrough> rt_;
};

TEST_F(MembersTest, FirstContactExchangesWithEveryMemberAndTheTimerWithOneMore) {
  Start();
  EXPECT_EQ(Sent(kB), 1u);
  EXPECT_EQ(Sent(kC), 1u);
  EXPECT_EQ(LastSent(kB).sender, kSelf);
  EXPECT_EQ(LastSent(kB).list.version, StaticList({kSelf, kB, kC}).version);
  EXPECT_FALSE(LastSent(kB).join);
  ASSERT_EQ(transport_.timers(), 1u);  // anti-entropy
  EXPECT_EQ(transport_.delays().back(), 1s);
  transport_.FireTimers();
  EXPECT_EQ(Sent(kB) + Sent(kC), 3u);  // one random member
  EXPECT_EQ(transport_.timers(), 1u);  // re-armed
}

TEST_F(MembersTest, AChangeHereIsTheNextEpochAndIsPushedToOldAndNewMembers) {
  Start();
  FakePeer& old_c = transport_.peer(kC);
  ASSERT_TRUE(cluster_->SetPeers({kSelf, kB}).ok());
  const MemberList now = Current();
  EXPECT_EQ(now.version.epoch, 1u);
  EXPECT_EQ(now.version.origin, kSelf);
  EXPECT_EQ(now.members, (std::vector<std::string>{kSelf, kB}));
  EXPECT_EQ(Sent(kB), 2u);
  EXPECT_EQ(LastSent(kB).list.version, now.version);
  // C left, and hears it (through a new client: the member's was closed).
  EXPECT_TRUE(old_c.closed());
  EXPECT_EQ(Sent(kC), 2u);
  EXPECT_EQ(LastSent(kC).list.version, now.version);
  // The same list again makes no new version.
  ASSERT_TRUE(cluster_->SetPeers({kB, kSelf}).ok());
  EXPECT_EQ(Current().version, now.version);
  EXPECT_EQ(cluster_->Stats().list_epoch, 1u);
  EXPECT_EQ(cluster_->Stats().members, 2u);
  EXPECT_EQ(cluster_->Stats().lists_adopted, 1u);
}

TEST_F(MembersTest, OnlyAHigherVersionIsAdoptedAndTheReplySettlesTheSender) {
  Start();
  const MemberList five = Version(5, kB, {kSelf, kB});
  MembersReply r = Serve(From(kB, five));
  EXPECT_EQ(Current().version, five.version);
  EXPECT_EQ(r.version, five.version);
  EXPECT_FALSE(r.list);     // the sender's is not lower
  EXPECT_EQ(Sent(kC), 2u);  // pushed to C (an old member); not back to B
  EXPECT_EQ(Sent(kB), 1u);

  // Lower: ignored, and the reply carries this node's list.
  r = Serve(From(kC, Version(4, kC, {kSelf, kC})));
  EXPECT_EQ(Current().version, five.version);
  ASSERT_TRUE(r.list);
  EXPECT_EQ(r.list->members, five.members);
  // Equal: nothing to do either way.
  r = Serve(From(kB, five));
  EXPECT_FALSE(r.list);
  EXPECT_EQ(cluster_->Stats().lists_adopted, 1u);
  // The same epoch from a higher origin wins.
  const MemberList from_c = Version(5, kC, {kSelf, kB, kC});
  Serve(From(kC, from_c));
  EXPECT_EQ(Current().version, from_c.version);
  // Each member's last report is kept.
  for (const MemberView& m : cluster_->View().members) {
    if (m.address == kC) {
      ASSERT_TRUE(m.reported);
      EXPECT_EQ(*m.reported, from_c.version);
    }
  }
}

TEST_F(MembersTest, EqualEpochAndOriginAreSettledByTheDigestTheSameWayEverywhere) {
  const MemberList a = Version(6, kB, {kSelf, kB});
  const MemberList b = Version(6, kB, {kSelf, kC});
  ASSERT_NE(a.version.digest, b.version.digest);
  const MemberList& winner = a.version > b.version ? a : b;
  for (bool a_first : {true, false}) {
    cluster_.reset();
    Start();
    Serve(From(kB, a_first ? a : b));
    Serve(From(kB, a_first ? b : a));
    EXPECT_EQ(Current().version, winner.version) << a_first;
    EXPECT_EQ(Current().members, winner.members) << a_first;
  }
}

TEST_F(MembersTest, AHigherVersionInAReplyIsAdopted) {
  Make();
  const MemberList seven = Version(7, kC, {kSelf, kB, kC});
  transport_.set_members(kB, [seven](const MembersRequest&) -> Result<MembersReply> {
    return MembersReply{seven.version, seven};
  });
  transport_.set_members(kC, Answering(seven.version));
  rt_ =
      std::make_unique<cache::ReadThrough>(cache_, *cluster_, clock_, cache::ReadThroughOptions{});
  ASSERT_TRUE(cluster_->Start(*rt_).ok());
  EXPECT_EQ(Current().version, seven.version);
  // B sent it, so B gets no push; C does.
  EXPECT_EQ(Sent(kB), 1u);
  EXPECT_EQ(LastSent(kC).list.version, seven.version);
}

TEST_F(MembersTest, APeerBackUpExchangesVersionsFirst) {
  Start();
  FakePeer& b = transport_.peer(kB);
  b.set_mode(FakePeer::Mode::kFail);
  b.set_ping_ok(false);
  Load(KeyOwnedBy(kB));
  ASSERT_FALSE(Up(kB));
  const size_t before = Sent(kB);
  b.set_ping_ok(true);
  // Fire until the probe (not the anti-entropy exchange) brings B back.
  for (int i = 0; i < 3 && !Up(kB); ++i) transport_.FireTimers();
  ASSERT_TRUE(Up(kB));
  EXPECT_GE(Sent(kB), before + 1);
  EXPECT_EQ(log_.Count("cluster", "up again"), 1u);
}

TEST_F(MembersTest, ANodeRemovedFromTheListOwnsNoKeysAndSaysSo) {
  Start();
  const std::string key = KeyOwnedBy(kSelf);
  ASSERT_TRUE(cluster_->IsLocal(key));
  Serve(From(kB, Version(2, kB, {kB, kC})));
  EXPECT_FALSE(cluster_->View().member);
  EXPECT_FALSE(cluster_->IsLocal(key));
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(cluster_->IsLocal("/k/" + std::to_string(i)));
  EXPECT_EQ(log_.Count("cluster", "is not a member of list version epoch 2 from " + kB), 1u);
}

TEST_F(MembersTest, ASeedNodeLearnsTheListAndAsksToJoin) {
  const std::string new_member = "10.0.0.9:7001";
  options_.self = new_member;
  options_.peers.clear();
  options_.membership.source = ListSource::kSeeds;
  options_.membership.seeds = {kB};
  options_.has_memory = true;
  Make();
  const MemberList three = Version(3, kB, {kSelf, kB, kC});
  // The seed answers with its list; so would any member.
  transport_.set_members(kB, [three](const MembersRequest&) -> Result<MembersReply> {
    return MembersReply{three.version, three};
  });
  rt_ =
      std::make_unique<cache::ReadThrough>(cache_, *cluster_, clock_, cache::ReadThroughOptions{});
  ASSERT_TRUE(cluster_->Start(*rt_).ok());
  EXPECT_TRUE(LastSent(kB).join);
  EXPECT_EQ(Current().version, three.version);
  EXPECT_FALSE(cluster_->View().member);
  // The pushes of the adopted list (to its members) ask to join too.
  EXPECT_TRUE(LastSent(kC).join);
  EXPECT_TRUE(LastSent(kSelf).join);
}

TEST_F(MembersTest, AMemberAddsANodeThatAsksToJoin) {
  Start();
  const std::string new_member = "10.0.0.9:7001";
  MembersReply r = Serve(From(new_member, StaticList({}), /*join=*/true));
  const MemberList now = Current();
  EXPECT_EQ(now.members, (std::vector<std::string>{kSelf, kB, kC, new_member}));
  EXPECT_EQ(now.version.epoch, 1u);
  EXPECT_EQ(now.version.origin, kSelf);
  ASSERT_TRUE(r.list);
  EXPECT_EQ(r.list->version, now.version);
  // A joiner already listed changes nothing.
  Serve(From(new_member, now, /*join=*/true));
  EXPECT_EQ(Current().version, now.version);
}

TEST_F(MembersTest, ASourceListCannotBeReplacedThroughSetPeers) {
  options_.membership.source = ListSource::kFile;
  options_.membership.source_name = "/etc/shoal/peers";
  Make();
  Status st = cluster_->SetPeers({kSelf, kB});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("peers_file /etc/shoal/peers"), std::string_view::npos);
}

}  // namespace
}  // namespace shoal::cluster
