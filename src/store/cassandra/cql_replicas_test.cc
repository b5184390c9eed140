// Tests for cql_replicas.h and cql_replication.h: replica placement on fabricated rings,
// checked against expectations worked out by hand from Cassandra's rules (each explained
// where it is asserted): SimpleStrategy RF 1..3 across the ring's wrap-around and vnodes;
// NetworkTopologyStrategy with two data centres where rack diversity changes the answer;
// RF larger than a DC's node count; nodes without tokens; LocalStrategy/EverywhereStrategy;
// unknown strategies; and the parsing of system_schema.keyspaces' replication map.
#include "store/cassandra/cql_replicas.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_replication.h"

namespace shoal::store::cassandra {
namespace {

NodeInfo Node(std::string dc, std::string rack, std::vector<int64_t> tokens) {
  NodeInfo n;
  n.dc = std::move(dc);
  n.rack = std::move(rack);
  n.tokens = std::move(tokens);
  return n;
}

Topology Make(std::vector<NodeInfo> nodes) {
  Topology t;
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].endpoint = HostPort{"10.0.0." + std::to_string(i + 1), 9042};
    nodes[i].address = nodes[i].endpoint.ToString();
  }
  t.nodes = std::move(nodes);
  t.ring = MakeRing(t.nodes);
  return t;
}

Replication Simple(int rf) {
  Replication r;
  r.kind = Replication::Kind::kSimple;
  r.simple_rf = rf;
  return r;
}

Replication Network(std::map<std::string, int> dc_rf) {
  Replication r;
  r.kind = Replication::Kind::kNetworkTopology;
  r.dc_rf = std::move(dc_rf);
  return r;
}

std::vector<size_t> List(std::span<const size_t> s) { return {s.begin(), s.end()}; }

// Sorted: the set, for NetworkTopologyStrategy where the order is not the point.
std::vector<size_t> Set(std::span<const size_t> s) {
  std::vector<size_t> v(s.begin(), s.end());
  std::sort(v.begin(), v.end());
  return v;
}

// Four nodes, one token each: node i owns (100 * i, 100 * (i + 1)].
Topology FourSingleTokenNodes() {
  return Make({Node("dc1", "r1", {100}), Node("dc1", "r1", {200}), Node("dc1", "r1", {300}),
               Node("dc1", "r1", {400})});
}

TEST(ReplicaMapTest, SimpleStrategyWalksClockwiseFromTheOwner) {
  const Topology t = FourSingleTokenNodes();
  // 250 lies in (200, 300]: node 2 owns it; RF 2 adds the next node clockwise, RF 3 the one
  // after.
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(1)).ForToken(250)), (std::vector<size_t>{2}));
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(2)).ForToken(250)), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(3)).ForToken(250)), (std::vector<size_t>{2, 3, 0}));
  // A range ends at its token, inclusive: 300 is still node 2's, 301 node 3's.
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(1)).ForToken(300)), (std::vector<size_t>{2}));
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(1)).ForToken(301)), (std::vector<size_t>{3}));
}

TEST(ReplicaMapTest, SimpleStrategyWrapsAroundTheRing) {
  const Topology t = FourSingleTokenNodes();
  const ReplicaMap rf3 = ReplicaMap::Build(t, Simple(3));
  // 350 is node 3's (the last token); its second and third replicas wrap to nodes 0 and 1.
  EXPECT_EQ(List(rf3.ForToken(350)), (std::vector<size_t>{3, 0, 1}));
  // Past the largest token, the ring wraps: node 0 (smallest token) owns it.
  EXPECT_EQ(List(rf3.ForToken(401)), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(List(rf3.ForToken(std::numeric_limits<int64_t>::max())),
            (std::vector<size_t>{0, 1, 2}));
  // Below the smallest token: node 0 too, as (400, 100] wraps through the minimum.
  EXPECT_EQ(List(rf3.ForToken(std::numeric_limits<int64_t>::min())),
            (std::vector<size_t>{0, 1, 2}));
}

TEST(ReplicaMapTest, SimpleStrategyCountsDistinctNodesAcrossVnodes) {
  // Node 0 holds two adjacent tokens (vnodes); the walk must not count it twice.
  const Topology t =
      Make({Node("dc1", "r1", {100, 150}), Node("dc1", "r1", {200}), Node("dc1", "r1", {300})});
  const ReplicaMap rf2 = ReplicaMap::Build(t, Simple(2));
  // From 100 (node 0), 150 is node 0 again: skipped; 200 gives node 1.
  EXPECT_EQ(List(rf2.ForToken(50)), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(List(rf2.ForToken(120)), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(List(rf2.ForToken(250)), (std::vector<size_t>{2, 0}));
  // RF above the node count: every node once.
  EXPECT_EQ(List(ReplicaMap::Build(t, Simple(5)).ForToken(250)), (std::vector<size_t>{2, 0, 1}));
}

// Two data centres. Ring order (one token each):
//   100 n0 dc1/r1, 200 n1 dc1/r1, 300 n2 dc2/r1, 400 n3 dc1/r2, 500 n4 dc2/r2, 600 n5 dc2/r1
Topology TwoDcs() {
  return Make({Node("dc1", "r1", {100}), Node("dc1", "r1", {200}), Node("dc2", "r1", {300}),
               Node("dc1", "r2", {400}), Node("dc2", "r2", {500}), Node("dc2", "r1", {600})});
}

TEST(ReplicaMapTest, NetworkTopologyPrefersUnseenRacks) {
  const ReplicaMap m = ReplicaMap::Build(TwoDcs(), Network({{"dc1", 2}, {"dc2", 1}}));
  // From 100: n0 (dc1, rack r1: new) taken; n1 (dc1, r1 again) refused: dc1 has 2 racks for
  // 2 replicas, so no rack repeats; n2 (dc2, r1: new) taken, dc2 full; n3 (dc1, r2: new)
  // taken, dc1 full. A walk blind to racks (SimpleStrategy per DC) would pick n0 and n1.
  EXPECT_EQ(Set(m.ForToken(50)), (std::vector<size_t>{0, 2, 3}));
  // From 300: n2 (dc2 r1) taken; n3 (dc1 r2) taken; n4 (dc2) refused: dc2 is full; n5
  // likewise; wrap: n0 (dc1 r1: new) taken.
  EXPECT_EQ(Set(m.ForToken(250)), (std::vector<size_t>{0, 2, 3}));
  // From 500: n4 (dc2 r2) taken; n5 (dc2): dc2 full; n0 (dc1 r1) taken; n1 (r1 again)
  // refused; n2 (dc2): full; n3 (dc1 r2) taken.
  EXPECT_EQ(Set(m.ForToken(450)), (std::vector<size_t>{0, 3, 4}));
  // Wrap-around: past 600 the walk starts at 100, as for token 50.
  EXPECT_EQ(Set(m.ForToken(650)), (std::vector<size_t>{0, 2, 3}));
  // The owner comes first.
  EXPECT_EQ(m.ForToken(450)[0], 4u);
}

TEST(ReplicaMapTest, NetworkTopologyRepeatsRacksOnlyAsMuchAsItMust) {
  // dc1 has 4 nodes in 2 racks and RF 3: one rack must hold two replicas, so one repeat is
  // allowed, and it goes to the first node met in an already-used rack.
  //   100 n0 r1, 200 n1 r1, 300 n2 r1, 400 n3 r2
  const Topology t = Make({Node("dc1", "r1", {100}), Node("dc1", "r1", {200}),
                           Node("dc1", "r1", {300}), Node("dc1", "r2", {400})});
  const ReplicaMap m = ReplicaMap::Build(t, Network({{"dc1", 3}}));
  // From 100: n0 (r1 new); n1 (r1 seen: the one repeat); n2 (r1 seen, no repeat left):
  // refused; n3 (r2 new). {n0, n1, n3}; Cassandra 2.x's "skipped endpoints" walk picks the
  // same set (it sets n1 and n2 aside, takes n3, then n1 first from the aside list).
  EXPECT_EQ(Set(m.ForToken(50)), (std::vector<size_t>{0, 1, 3}));
  // From 300: n2 (r1 new); n3 (r2 new); n0 (r1 seen: the repeat). {n0, n2, n3}.
  EXPECT_EQ(Set(m.ForToken(250)), (std::vector<size_t>{0, 2, 3}));
  // From 400: n3 (r2); n0 (r1); n1 (r1 repeat). {n0, n1, n3}.
  EXPECT_EQ(Set(m.ForToken(350)), (std::vector<size_t>{0, 1, 3}));
}

TEST(ReplicaMapTest, NetworkTopologyWithMoreReplicasThanNodes) {
  // dc2 asks for 5 replicas but has 3 nodes: all three; dc3 has no node: ignored.
  const ReplicaMap m = ReplicaMap::Build(TwoDcs(), Network({{"dc1", 1}, {"dc2", 5}, {"dc3", 2}}));
  // From 100: n0 (dc1) fills dc1; n2, n4, n5: every dc2 node (racks r1, r2 then r1 again: dc2
  // has 2 racks for 5 replicas, so repeats are allowed).
  EXPECT_EQ(Set(m.ForToken(50)), (std::vector<size_t>{0, 2, 4, 5}));
  EXPECT_EQ(Set(m.ForToken(550)), (std::vector<size_t>{0, 2, 4, 5}));
}

TEST(ReplicaMapTest, NetworkTopologyCountsOnlyNodesThatOwnTokens) {
  // As in NetworkTopologyRepeatsRacksOnlyAsMuchAsItMust, plus n4 in a third rack of dc1 with no
  // tokens (joining). Counted, it would make 3 racks for RF 3 (no repeats) and leave the
  // range with 2 replicas; Cassandra counts only the ring's members.
  const Topology t =
      Make({Node("dc1", "r1", {100}), Node("dc1", "r1", {200}), Node("dc1", "r1", {300}),
            Node("dc1", "r2", {400}), Node("dc1", "r3", {})});
  const ReplicaMap m = ReplicaMap::Build(t, Network({{"dc1", 3}}));
  EXPECT_EQ(Set(m.ForToken(50)), (std::vector<size_t>{0, 1, 3}));
}

TEST(ReplicaMapTest, NetworkTopologyIgnoresDcsWithoutReplicas) {
  // Only dc2 takes replicas: dc1's nodes never appear.
  const ReplicaMap m = ReplicaMap::Build(TwoDcs(), Network({{"dc2", 2}}));
  // From 100: n0, n1 (dc1) passed over; n2 (dc2 r1); n3 (dc1); n4 (dc2 r2).
  EXPECT_EQ(Set(m.ForToken(50)), (std::vector<size_t>{2, 4}));
  // No DC of the ring is listed: no replica information at all.
  EXPECT_TRUE(ReplicaMap::Build(TwoDcs(), Network({{"elsewhere", 3}})).empty());
}

TEST(ReplicaMapTest, EverywhereUnknownAndEmptyRings) {
  Topology t = TwoDcs();
  t.nodes.push_back(Node("dc1", "r1", {}));  // no tokens: still holds LocalStrategy data
  Replication everywhere;
  everywhere.kind = Replication::Kind::kEverywhere;
  const ReplicaMap all = ReplicaMap::Build(t, everywhere);
  EXPECT_EQ(List(all.ForToken(12345)), (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6}));

  EXPECT_TRUE(ReplicaMap::Build(t, Replication{}).empty());
  EXPECT_TRUE(ReplicaMap::Build(t, Replication{}).ForToken(50).empty());
  EXPECT_TRUE(ReplicaMap::Build(t, Simple(0)).ForToken(50).empty());
  EXPECT_TRUE(ReplicaMap::Build(Make({Node("dc1", "r1", {})}), Simple(3)).ForToken(50).empty());
  EXPECT_TRUE(ReplicaMap().ForToken(50).empty());
}

TEST(ReplicaMapTest, AVnodeRingOfFiftyNodesGivesRfDistinctNodesEverywhere) {
  // 50 nodes x 16 tokens, spread by a multiplicative hash; 2 DCs x 3 racks, RF 3 each.
  std::vector<NodeInfo> nodes;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < 50; ++i) {
    std::vector<int64_t> tokens;
    for (int v = 0; v < 16; ++v) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      tokens.push_back(static_cast<int64_t>(x));
    }
    nodes.push_back(Node(i % 2 == 0 ? "dc1" : "dc2", "r" + std::to_string(i % 3), tokens));
  }
  const Topology t = Make(std::move(nodes));
  const ReplicaMap m = ReplicaMap::Build(t, Network({{"dc1", 3}, {"dc2", 3}}));
  for (const auto& [token, owner] : t.ring.entries()) {
    const std::span<const size_t> r = m.ForToken(token);
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0], owner);
    std::vector<std::pair<std::string, std::string>> placed;
    for (size_t node : r) placed.emplace_back(t.nodes[node].dc, t.nodes[node].rack);
    std::sort(placed.begin(), placed.end());
    // 3 racks per DC and RF 3: one replica in each rack of each DC.
    EXPECT_EQ(std::unique(placed.begin(), placed.end()), placed.end());
  }
}

TEST(ParseReplicationTest, ReadsTheStrategiesAsTheServerListsThem) {
  Replication r = ParseReplication(
      {{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "3"}});
  EXPECT_EQ(r.kind, Replication::Kind::kSimple);
  EXPECT_EQ(r.simple_rf, 3);
  EXPECT_EQ(DescribeReplication(r), "SimpleStrategy rf 3");

  r = ParseReplication({{"replication_factor", "2/1"}, {"class", "SimpleStrategy"}});
  EXPECT_EQ(r.kind, Replication::Kind::kSimple);
  EXPECT_EQ(r.simple_rf, 2);  // transient syntax: all replicas before the '/'

  r = ParseReplication({{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"},
                        {"dc1", "3"},
                        {"dc2", "2/1"},
                        {"dc3", "0"}});
  EXPECT_EQ(r.kind, Replication::Kind::kNetworkTopology);
  EXPECT_EQ(r.dc_rf, (std::map<std::string, int>{{"dc1", 3}, {"dc2", 2}}));
  EXPECT_EQ(DescribeReplication(r), "NetworkTopologyStrategy dc1:3 dc2:2");

  r = ParseReplication({{"class", "org.apache.cassandra.locator.LocalStrategy"}});
  EXPECT_EQ(r.kind, Replication::Kind::kEverywhere);
  r = ParseReplication({{"class", "org.apache.cassandra.locator.EverywhereStrategy"}});
  EXPECT_EQ(r.kind, Replication::Kind::kEverywhere);
}

TEST(ParseReplicationTest, AnythingElseIsUnknown) {
  Replication r = ParseReplication({{"class", "com.example.MyStrategy"}, {"dc1", "3"}});
  EXPECT_EQ(r.kind, Replication::Kind::kUnknown);
  EXPECT_EQ(DescribeReplication(r), "unknown replication class 'com.example.MyStrategy'");
  EXPECT_EQ(ParseReplication({{"class", "SimpleStrategy"}}).kind, Replication::Kind::kUnknown);
  EXPECT_EQ(ParseReplication({{"class", "SimpleStrategy"}, {"replication_factor", "x"}}).kind,
            Replication::Kind::kUnknown);
  EXPECT_EQ(ParseReplication({{"class", "NetworkTopologyStrategy"}, {"dc1", "-1"}}).kind,
            Replication::Kind::kUnknown);
  EXPECT_EQ(ParseReplication({}).kind, Replication::Kind::kUnknown);
  EXPECT_EQ(DescribeReplication(Replication{}), "unknown replication");
}

TEST(ResolveLocalDcTest, ConfiguredContactsOrNone) {
  Topology t = TwoDcs();
  t.nodes.push_back(Node("", "", {}));  // a node that reports no DC
  Result<std::string> dc = ResolveLocalDc(t, "dc2", 0);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(*dc, "dc2");
  // Unset: the contact's DC.
  dc = ResolveLocalDc(t, "", 2);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(*dc, "dc2");
  // The contact reports none: empty (every node local).
  dc = ResolveLocalDc(t, "", 6);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(*dc, "");
  dc = ResolveLocalDc(t, "", 99);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(*dc, "");
  // A DC no node has: the key, the name and the DCs there are, sorted and once each.
  dc = ResolveLocalDc(t, "DC1", 0);
  ASSERT_FALSE(dc.ok());
  EXPECT_EQ(dc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dc.status().message(),
            "store.cassandra.local_dc: no node is in data centre 'DC1' (the ring has: dc1, dc2)");
  dc = ResolveLocalDc(Make({Node("", "", {1})}), "dc1", 0);
  ASSERT_FALSE(dc.ok());
  EXPECT_EQ(dc.status().message(),
            "store.cassandra.local_dc: no node is in data centre 'dc1' (the ring has: no data "
            "centre reported)");
}

TEST(DescribeTopologyTest, SaysDcAndRackPerNode) {
  const Topology t = Make({Node("dc1", "r1", {1}), Node("dc2", "", {2}), Node("", "", {3})});
  EXPECT_EQ(DescribeTopology(t),
            "3 nodes: 10.0.0.1:9042 (dc1/r1), 10.0.0.2:9042 (dc2), 10.0.0.3:9042");
}

}  // namespace
}  // namespace shoal::store::cassandra
