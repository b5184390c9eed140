// route_bench: micro-benchmarks of the Cassandra client's per-request routing decision, with
// Google Benchmark.
//
// What choosing the nodes of one request costs before any network: PlanRouteInto (Murmur3 of
// the routing key, a binary search over the precomputed replicas, the plan's groups) on a ring
// of 50 nodes x 16 vnodes in 2 data centres of 3 racks, NetworkTopologyStrategy {dc1: 3,
// dc2: 3}; with a reused plan (no allocation) and with PlanRoute returning a new vector; and
// ReplicaMap::Build, paid once per topology refresh. Keys are 4,096 distinct 16-byte ones in
// turn so the branch predictor cannot learn one search path.
//
// Ownership: each benchmark owns its topology and map. Not a test: nothing here can fail.
// Thread-safety: single-threaded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_replicas.h"
#include "store/cassandra/cql_routing.h"

namespace shoal::store::cassandra {
namespace {

Topology Ring() {
  Topology t;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < 50; ++i) {
    NodeInfo n;
    n.endpoint =
        HostPort{"10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1), 9042};
    n.address = n.endpoint.ToString();
    n.dc = i % 2 == 0 ? "dc1" : "dc2";
    n.rack = "r" + std::to_string(i % 3);
    for (int v = 0; v < 16; ++v) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      n.tokens.push_back(static_cast<int64_t>(x));
    }
    t.nodes.push_back(std::move(n));
  }
  t.ring = MakeRing(t.nodes);
  t.replication.kind = Replication::Kind::kNetworkTopology;
  t.replication.dc_rf = {{"dc1", 3}, {"dc2", 3}};
  return t;
}

std::vector<std::string> Keys() {
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back("/v1/items/" + std::to_string(100000 + i));
  return keys;
}

void BM_PlanRouteInto(benchmark::State& state) {
  const Topology t = Ring();
  const ReplicaMap replicas = ReplicaMap::Build(t, t.replication);
  const RoutingPolicy policy{.local_dc = "dc1", .remote_dc_fallback = state.range(0) != 0};
  const std::vector<std::string> keys = Keys();
  const std::vector<NodeHealth> health(t.nodes.size(), NodeHealth::kUp);
  const std::function<NodeHealth(size_t)> health_of = [&](size_t n) { return health[n]; };
  std::vector<size_t> plan;
  plan.reserve(t.nodes.size());
  uint64_t i = 0;
  for (auto _ : state) {
    PlanRouteInto(t, replicas, policy, keys[i % keys.size()], i, health_of, &plan);
    benchmark::DoNotOptimize(plan.data());
    ++i;
  }
}
BENCHMARK(BM_PlanRouteInto)->Arg(0)->Arg(1);

void BM_PlanRouteReturned(benchmark::State& state) {
  const Topology t = Ring();
  const ReplicaMap replicas = ReplicaMap::Build(t, t.replication);
  const RoutingPolicy policy{.local_dc = "dc1"};
  const std::vector<std::string> keys = Keys();
  const std::function<NodeHealth(size_t)> up = [](size_t) { return NodeHealth::kUp; };
  uint64_t i = 0;
  for (auto _ : state) {
    std::vector<size_t> plan = PlanRoute(t, replicas, policy, keys[i % keys.size()], i, up);
    benchmark::DoNotOptimize(plan.data());
    ++i;
  }
}
BENCHMARK(BM_PlanRouteReturned);

void BM_ReplicaMapBuild(benchmark::State& state) {
  const Topology t = Ring();
  for (auto _ : state) {
    ReplicaMap m = ReplicaMap::Build(t, t.replication);
    benchmark::DoNotOptimize(&m);
  }
}
BENCHMARK(BM_ReplicaMapBuild)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace shoal::store::cassandra

BENCHMARK_MAIN();
