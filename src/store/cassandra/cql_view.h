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

#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_topology.h"

namespace shoal::store::cassandra {

struct View {
  Topology topology;
  // nodes[i] is topology.nodes[i]'s pool member (cql_pool.h's Pool::Sync).
  std::vector<std::shared_ptr<PoolNode>> nodes;
};

}  // namespace shoal::store::cassandra
