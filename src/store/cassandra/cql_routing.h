// cql_routing: which nodes a request tries, in order. Internal to store/cassandra.
//
// PlanRoute orders the nodes for one request from the topology, the keyspace's replicas
// (cql_replicas.h), the routing policy and each node's health:
//   1. with a routing key (the partition key fully bound) and replica information: the
//      token's replicas in the local data centre that are up, rotated by `round_robin` (reads
//      spread over the replicas, as the drivers do); then the other up nodes of the local
//      data centre (rotated);
//   2. only if remote_dc_fallback: the remote replicas that are up, then the other remote up
//      nodes (each rotated);
//   3. last, the suspect nodes of the same groups in the same order (tried only when nothing
//      healthy is left). Down nodes are left out: the plan may be empty.
// Without a routing key or replica information, step 1 is the local data centre's up nodes,
// rotated. An empty local_dc makes every node local (single-DC clusters, servers that report
// no DC); with local_dc set, a node without a DC is remote.
// Thread-safety: pure functions (PlanRouteInto keeps a thread_local scratch of one byte per
// node); `health` is called on the caller's thread, at most once per node per plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_replicas.h"
#include "store/cassandra/cql_token.h"

namespace shoal::store::cassandra {

enum class NodeHealth { kUp, kSuspect, kDown };

struct RoutingPolicy {
  std::string local_dc;  // empty: every node is local (see ResolveLocalDc, cql_nodes.h)
  bool remote_dc_fallback = false;
};

// PlanRoute returns the node indexes to try, in order, each once (see above).
std::vector<size_t> PlanRoute(const Topology& topology, const ReplicaMap& replicas,
                              const RoutingPolicy& policy, std::string_view routing_key,
                              uint64_t round_robin,
                              const std::function<NodeHealth(size_t)>& health);

// PlanRouteInto is PlanRoute writing into `plan` (cleared first), so that a caller may reuse
// its capacity; no allocation once `plan` and the thread's scratch hold topology.nodes.size().
void PlanRouteInto(const Topology& topology, const ReplicaMap& replicas,
                   const RoutingPolicy& policy, std::string_view routing_key, uint64_t round_robin,
                   const std::function<NodeHealth(size_t)>& health, std::vector<size_t>* plan);

}  // namespace shoal::store::cassandra
