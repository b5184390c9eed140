// cql_topology: the cluster's nodes and token ring, as discovery finds them. Internal to
// store/cassandra (the session reads it once, at Open).
//
// DiscoverTopology asks the contact point it is connected to for its own tokens
// (system.local) and, unless told to keep to it, for every peer's CQL address, port and
// tokens (system.peers_v2; system.peers on servers older than 4.0, where the peers listen on
// the contact's port). A peer that does not serve CQL (no address or port) is left out. The
// contact is node 0; node indexes are positions in `nodes` and never change.
// Not done (ARCHITECTURE.md): topology events (a node added later is not seen until restart).
//
// Thread-safety: DiscoverTopology blocks (cql_blocking.h); Topology is a value, immutable once
// the session holds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/host_port.h"
#include "base/status.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_token.h"

namespace shoal::store::cassandra {

struct NodeInfo {
  HostPort endpoint;
  std::string address;  // FormatHostPort of endpoint, for messages and logs
  std::vector<int64_t> tokens;
};

struct Topology {
  std::vector<NodeInfo> nodes;  // the contact point first
  TokenRing ring;               // token -> index into nodes; empty if no node listed tokens
};

// DiscoverTopology reads the ring over `control`, connected to `contact`. Errors are the
// failing query's (cql_blocking.h's ResultOrError).
Result<Topology> DiscoverTopology(Connection& control, const HostPort& contact, bool discover_peers,
                                  Duration timeout);

// DescribeTopology returns "N nodes: a:9042, b:9042, ..." for the log.
std::string DescribeTopology(const Topology& topology);

}  // namespace shoal::store::cassandra
