// cql_topology: the cluster's nodes and token ring, as discovery finds them. Internal to
// store/cassandra (the session reads it once, at Open).
//
// DiscoverTopology asks the contact point it is connected to for its own tokens
// (system.local) and, unless told to keep to it, for every peer's CQL address, port and
// tokens (system.peers_v2; system.peers on servers older than 4.0, where the peers listen on
// the contact's port). A peer that does not serve CQL (no address or port) is left out, and
// so is a peer outside the operator's node networks (KeepNodesIn), which is never dialled and
// so never sent the credentials. The contact is node 0; node indexes are positions in `nodes`
// and never change.
// Not done (ARCHITECTURE.md): topology events (a node added later is not seen until restart).
//
// Thread-safety: DiscoverTopology blocks (cql_blocking.h); Topology is a value, immutable once
// the session holds it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/cidr.h"
#include "base/clock.h"
#include "base/host_port.h"
#include "base/logger.h"
#include "base/status.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_token.h"

namespace shoal::store::cassandra {

struct NodeInfo {
  HostPort endpoint;
  std::string address;  // FormatHostPort of endpoint, for messages and logs
  // host_id as the server reports it (the node's identity across address changes), in the
  // canonical 8-4-4-4-12 hex form; empty when the server listed none.
  std::string host_id;
  std::string dc;    // data_center; empty if unknown
  std::string rack;  // rack; empty if unknown
  std::vector<int64_t> tokens;
};

struct Topology {
  std::vector<NodeInfo> nodes;  // the contact point first
  TokenRing ring;               // token -> index into nodes; empty if no node listed tokens
};

// Discovery is what DiscoverTopology is told besides the connection.
struct Discovery {
  // false: the contact points alone (the one connected first, then the others, untokened)
  bool discover_peers = true;
  // Networks a discovered peer must lie in (empty: any), and the contact points, which are
  // kept wherever they are (both SessionOptions').
  std::span<const Cidr> node_networks;
  std::span<const HostPort> contact_points;
  Duration timeout{};
};

// DiscoverTopology reads the ring over `control`, connected to `contact`, logging to `log`.
// Errors are the failing query's (cql_blocking.h's ResultOrError).
Result<Topology> DiscoverTopology(Connection& control, const HostPort& contact,
                                  const Discovery& discovery, const Log& log);

// KeepNodesIn removes from `nodes` every node after the first (the contact) whose address lies
// in none of `networks`, unless it is one of `contact_points`; an empty `networks` keeps all.
// Each node removed is logged once (warn), naming it and the option.
void KeepNodesIn(std::vector<NodeInfo>& nodes, std::span<const Cidr> networks,
                 std::span<const HostPort> contact_points, const Log& log);

// DescribeTopology returns "N nodes: a:9042, b:9042, ..." for the log.
std::string DescribeTopology(const Topology& topology);

}  // namespace shoal::store::cassandra
