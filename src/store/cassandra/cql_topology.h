// cql_topology: discovery, reading the cluster's nodes, token ring and the keyspace's
// replication over one connection. Internal to store/cassandra. The value it fills (Topology,
// NodeInfo) and the pure functions over it are in cql_nodes.h.
//
// DiscoverTopology asks the contact point it is connected to for its own data centre, rack,
// host_id and tokens (system.local) and, unless told to keep to it, for every peer's CQL
// address and port, data centre, rack, host_id and tokens (system.peers_v2; system.peers on
// servers older than 4.0, where the peers listen on the contact's port). A peer row without a
// host_id, a CQL address (or port) or tokens is left out, as the drivers do (gocql, the
// DataStax and Python drivers): such a row is a node half-joined (bootstrapping: it owns no
// range yet and is announced again by its NEW_NODE/UP event when it does), leaving, or a
// gossip leftover. So is a peer outside the operator's node networks (KeepNodesIn), which is
// never dialled and so never sent the credentials. The contact is kept whatever its row says
// (it answered). The contact is node 0.
// With Discovery::keyspace set, it also reads that keyspace's replication (ReadReplication)
// into Topology::replication, so one call refreshes all that routing needs.
//
// Thread-safety: the functions block (cql_blocking.h): never call them on a session I/O
// thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/cidr.h"
#include "base/clock.h"
#include "base/host_port.h"
#include "base/logger.h"
#include "base/status.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_replication.h"

namespace shoal::store::cassandra {

// Discovery is what DiscoverTopology is told besides the connection.
struct Discovery {
  // false: the contact points alone (the one connected first, then the others, untokened)
  bool discover_peers = true;
  // Networks a discovered peer must lie in (empty: any), and the contact points, which are
  // kept wherever they are (both SessionOptions').
  std::span<const Cidr> node_networks;
  std::span<const HostPort> contact_points;
  // The keyspace whose replication to read (SessionOptions::keyspace, exact case as the
  // session's USE "ks" takes it); empty: none (Topology::replication stays kUnknown).
  std::string keyspace;
  Duration timeout{};
};

// DiscoverTopology reads the ring over `control`, connected to `contact`, logging to `log`.
// Errors are the failing query's (cql_blocking.h's ResultOrError), or ReadReplication's.
Result<Topology> DiscoverTopology(Connection& control, const HostPort& contact,
                                  const Discovery& discovery, const Log& log);

// ReadReplication reads `keyspace`'s replication (SELECT replication FROM
// system_schema.keyspaces WHERE keyspace_name = ?; cql_replication.h). A keyspace that does
// not exist is InvalidArgument "cassandra: keyspace 'x' does not exist"; a failing query is
// its error.
Result<Replication> ReadReplication(Connection& control, const HostPort& contact,
                                    std::string_view keyspace, Duration timeout);

// KeepNodesIn removes from `nodes` every node after the first (the contact) whose address lies
// in none of `networks`, unless it is one of `contact_points`; an empty `networks` keeps all.
// Each node removed is logged once (warn), naming it and the option.
void KeepNodesIn(std::vector<NodeInfo>& nodes, std::span<const Cidr> networks,
                 std::span<const HostPort> contact_points, const Log& log);

}  // namespace shoal::store::cassandra
