// cql_view: the ring as the session routes on it at one moment: an immutable snapshot.
// Internal to store/cassandra.
//
// The session builds a View at Open and after every topology refresh (cql_control.h) and
// swaps it in whole; each Call keeps the shared_ptr<const View> it planned on, so the node
// indexes of its plan (positions in `topology.nodes`, which are also positions in `nodes`)
// stay valid for the Call's life even when the ring changes meanwhile. A node that left the
// ring stays alive (closed, unroutable: PoolNode::Pick returns null) while a View lists it.
//
// Thread-safety: immutable once published; PoolNode is thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "base/clock.h"
#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_replicas.h"
#include "store/cassandra/cql_routing.h"

namespace shoal::store::cassandra {

struct View {
  Topology topology;
  // The session keyspace's replicas per token range (cql_replicas.h), from
  // topology.replication; empty without a keyspace or token information.
  ReplicaMap replicas;
  // nodes[i] is topology.nodes[i]'s pool member (cql_pool.h's Pool::Sync).
  std::vector<std::shared_ptr<PoolNode>> nodes;
  RoutingPolicy policy;  // the local data centre as resolved at Open, and the fallback rule

  // Health is routing's view of node `i` at `now` (PlanRoute's health function): kDown when
  // it cannot take requests (PoolNode::routable: no connection open, not warmed up, or the
  // cluster said DOWN), kSuspect when its stats say so (cql_node_stats.h), else kUp.
  NodeHealth Health(size_t i, TimePoint now) const {
    const PoolNode& n = *nodes[i];
    if (!n.routable()) return NodeHealth::kDown;
    return n.stats().Suspect(now) ? NodeHealth::kSuspect : NodeHealth::kUp;
  }
};

}  // namespace shoal::store::cassandra
