// Tests for cql_routing.h. PlanRoute with a policy: the key's local replicas first (rotated by
// the round-robin counter, so every replica leads in turn), then the other local nodes, remote
// data centres only with remote_dc_fallback, suspects after every healthy node, down nodes
// never; without a key or replica information, the local nodes round-robin.
#include "store/cassandra/cql_routing.h"

#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::store::cassandra {
namespace {

using V = std::vector<size_t>;

constexpr std::string_view kKey = "k1";

// Six nodes, each its own rack. dc1: n0..n3; dc2: n4, n5. The ring, from the key's token t:
//   t n1, t+10 n2, t+20 n4, t+30 n0, t+40 n3, t+50 n5
// so under NetworkTopologyStrategy {dc1: 2, dc2: 1} the key's replicas are n1, n2 (dc1: the
// first two dc1 nodes met) and n4 (dc2).
Topology Cluster() {
  const int64_t t = Murmur3Token(kKey);
  EXPECT_LT(t, std::numeric_limits<int64_t>::max() - 50);  // t + 50 does not overflow
  Topology topo;
  const char* dcs[] = {"dc1", "dc1", "dc1", "dc1", "dc2", "dc2"};
  const int64_t offsets[] = {30, 0, 10, 40, 20, 50};
  for (size_t i = 0; i < 6; ++i) {
    NodeInfo n;
    n.endpoint = HostPort{"10.0.0." + std::to_string(i + 1), 9042};
    n.address = n.endpoint.ToString();
    n.dc = dcs[i];
    n.rack = "r" + std::to_string(i);
    n.tokens = {t + offsets[i]};
    topo.nodes.push_back(n);
  }
  topo.ring = MakeRing(topo.nodes);
  return topo;
}

ReplicaMap Replicas(const Topology& topo) {
  Replication r;
  r.kind = Replication::Kind::kNetworkTopology;
  r.dc_rf = {{"dc1", 2}, {"dc2", 1}};
  return ReplicaMap::Build(topo, r);
}

// Health is a node -> health table; nodes not listed are up.
std::function<NodeHealth(size_t)> Health(const std::map<size_t, NodeHealth>& table = {}) {
  return [table](size_t node) {
    const auto it = table.find(node);
    return it == table.end() ? NodeHealth::kUp : it->second;
  };
}

const RoutingPolicy kLocal{.local_dc = "dc1", .remote_dc_fallback = false};
const RoutingPolicy kFallback{.local_dc = "dc1", .remote_dc_fallback = true};

TEST(PlanRouteTest, LocalReplicasFirstThenLocalNodes) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  ASSERT_EQ(replicas.ForToken(Murmur3Token(kKey)).size(), 3u);
  // Replicas n1, n2 (dc1) in ring order; then dc1's others, n0 and n3; dc2 not at all.
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, kKey, 0, Health()), (V{1, 2, 0, 3}));
  // With the fallback: dc2's replica n4, then n5.
  EXPECT_EQ(PlanRoute(topo, replicas, kFallback, kKey, 0, Health()), (V{1, 2, 0, 3, 4, 5}));
}

TEST(PlanRouteTest, RotationSpreadsReadsOverTheReplicas) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, kKey, 1, Health()), (V{2, 1, 3, 0}));
  std::map<size_t, int> first;
  for (uint64_t rr = 0; rr < 100; ++rr) {
    const V plan = PlanRoute(topo, replicas, kLocal, kKey, rr, Health());
    ASSERT_EQ(plan.size(), 4u);
    ++first[plan[0]];
  }
  // Each local replica leads half the time; no other node ever does.
  EXPECT_EQ(first, (std::map<size_t, int>{{1, 50}, {2, 50}}));
}

TEST(PlanRouteTest, SuspectsComeLastAndDownNodesNever) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  // n1 suspect: after every healthy local node.
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, kKey, 0, Health({{1, NodeHealth::kSuspect}})),
            (V{2, 0, 3, 1}));
  // With the fallback, after the healthy remote nodes too; suspects keep their group order
  // (local replica n1, then local n3, then remote n4).
  EXPECT_EQ(PlanRoute(topo, replicas, kFallback, kKey, 0,
                      Health({{1, NodeHealth::kSuspect},
                              {3, NodeHealth::kSuspect},
                              {4, NodeHealth::kSuspect}})),
            (V{2, 0, 5, 1, 3, 4}));
  // n2 down, n0 down: left out.
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, kKey, 0,
                      Health({{2, NodeHealth::kDown}, {0, NodeHealth::kDown}})),
            (V{1, 3}));
  // Every local node down and no fallback: nothing to try.
  EXPECT_TRUE(PlanRoute(topo, replicas, kLocal, kKey, 0,
                        Health({{0, NodeHealth::kDown},
                                {1, NodeHealth::kDown},
                                {2, NodeHealth::kDown},
                                {3, NodeHealth::kDown}}))
                  .empty());
}

TEST(PlanRouteTest, WithoutAKeyOrReplicasTheLocalNodesRoundRobin) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, "", 0, Health()), (V{0, 1, 2, 3}));
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, "", 5, Health()), (V{1, 2, 3, 0}));
  EXPECT_EQ(PlanRoute(topo, replicas, kFallback, "", 1, Health()), (V{1, 2, 3, 0, 5, 4}));
  EXPECT_EQ(PlanRoute(topo, replicas, kFallback, "", 0, Health({{0, NodeHealth::kSuspect}})),
            (V{1, 2, 3, 4, 5, 0}));
  // A key but no replica information (unknown strategy): the same as no key.
  EXPECT_EQ(PlanRoute(topo, ReplicaMap(), kLocal, kKey, 1, Health()), (V{1, 2, 3, 0}));
}

TEST(PlanRouteTest, AnEmptyLocalDcMakesEveryNodeLocal) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  const RoutingPolicy everywhere;
  // Replicas n1, n2, n4 (ring order), then the rest.
  EXPECT_EQ(PlanRoute(topo, replicas, everywhere, kKey, 0, Health()), (V{1, 2, 4, 0, 3, 5}));
  EXPECT_EQ(PlanRoute(topo, replicas, everywhere, "", 2, Health()), (V{2, 3, 4, 5, 0, 1}));
}

TEST(PlanRouteTest, ANodeWithoutADcIsRemoteWhenALocalDcIsSet) {
  Topology topo = Cluster();
  topo.nodes[0].dc.clear();
  const ReplicaMap replicas = Replicas(topo);
  EXPECT_EQ(PlanRoute(topo, replicas, kLocal, kKey, 0, Health()), (V{1, 2, 3}));
  EXPECT_EQ(PlanRoute(topo, replicas, kFallback, kKey, 0, Health()), (V{1, 2, 3, 4, 0, 5}));
}

TEST(PlanRouteTest, IntoReusesThePlan) {
  const Topology topo = Cluster();
  const ReplicaMap replicas = Replicas(topo);
  std::vector<size_t> plan = {9, 9, 9, 9, 9, 9, 9};
  const size_t* data = plan.data();
  PlanRouteInto(topo, replicas, kFallback, kKey, 0, Health(), &plan);
  EXPECT_EQ(plan, (V{1, 2, 0, 3, 4, 5}));
  EXPECT_EQ(plan.data(), data);  // no new allocation
}

}  // namespace
}  // namespace shoal::store::cassandra
