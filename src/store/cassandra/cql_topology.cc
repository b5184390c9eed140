// cql_topology: see cql_topology.h.
#include "store/cassandra/cql_topology.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <arpa/inet.h>

#include "store/cassandra/cql_blocking.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_result.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

// Cell decoders for the discovery queries.
std::optional<std::string> InetText(std::optional<std::string_view> cell) {
  if (!cell || (cell->size() != 4 && cell->size() != 16)) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(cell->size() == 4 ? AF_INET : AF_INET6, cell->data(), text, sizeof text) ==
      nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<int32_t> IntCell(std::optional<std::string_view> cell) {
  if (!cell || cell->size() != 4) return std::nullopt;
  WireReader r(*cell);
  int32_t v = 0;
  r.Int(&v);
  return v;
}

std::string TextCell(std::optional<std::string_view> cell) {
  return cell ? std::string(*cell) : std::string();
}

// UuidCell is a uuid in its canonical text form; empty when null or not 16 bytes.
std::string UuidCell(std::optional<std::string_view> cell) {
  std::string out;
  if (cell && cell->size() == 16) AppendUuidText(out, *cell);
  return out;
}

// TokenSet reads a set<text> of decimal tokens; malformed entries are skipped.
std::vector<int64_t> TokenSet(std::optional<std::string_view> cell) {
  std::vector<int64_t> tokens;
  if (!cell) return tokens;
  WireReader r(*cell);
  int32_t n = 0;
  if (!r.Int(&n) || n < 0) return tokens;
  for (int32_t i = 0; i < n; ++i) {
    std::optional<std::string_view> item;
    if (!r.Bytes(&item)) break;
    if (!item) continue;
    if (Result<int64_t> t = ParseToken(*item); t.ok()) tokens.push_back(*t);
  }
  return tokens;
}

// TextMap reads a map<text, text>; entries with a null key or value are skipped.
std::vector<std::pair<std::string, std::string>> TextMap(std::optional<std::string_view> cell) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!cell) return out;
  WireReader r(*cell);
  int32_t n = 0;
  if (!r.Int(&n) || n < 0) return out;
  for (int32_t i = 0; i < n; ++i) {
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    if (!r.Bytes(&key) || !r.Bytes(&value)) break;
    if (key && value) out.emplace_back(std::string(*key), std::string(*value));
  }
  return out;
}

// Query runs one QUERY (with `values`: `count` [value]s) at ONE and returns its RESULT's
// message, or the error.
Result<std::string> Query(Connection& control, const std::string& address, std::string_view cql,
                          std::string_view values, uint16_t count, Duration timeout) {
  return ResultOrError(SendAndWait(
                           control,
                           [cql, values, count](std::string& out, int16_t stream) {
                             QueryParameters p;
                             p.consistency = Consistency::kOne;
                             p.values = values;
                             p.value_count = count;
                             return AppendQuery(out, stream, cql, p);
                           },
                           timeout),
                       address, ErrorStage::kSetup);
}

// Rows returns the rows of a RESULT message; nullptr (no rows) for any other result.
const RowsResult* Rows(const Result<ResultMessage>& m) {
  return m.ok() ? std::get_if<RowsResult>(&*m) : nullptr;
}

}  // namespace

void KeepNodesIn(std::vector<NodeInfo>& nodes, std::span<const Cidr> networks,
                 std::span<const HostPort> contact_points, const Log& log) {
  if (networks.empty() || nodes.empty()) return;
  std::vector<NodeInfo> kept;
  kept.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& node = nodes[i];
    const bool contact = i == 0 || std::find(contact_points.begin(), contact_points.end(),
                                             node.endpoint) != contact_points.end();
    if (contact || InAnyNetwork(networks, node.endpoint.host)) {
      kept.push_back(std::move(nodes[i]));
      continue;
    }
    log.Warn("not dialling discovered node " + node.address +
             ": outside store.cassandra.node_networks");
  }
  nodes = std::move(kept);
}

Result<Replication> ReadReplication(Connection& control, const HostPort& contact,
                                    std::string_view keyspace, Duration timeout) {
  std::string values;
  AppendValue(values, keyspace);
  Result<std::string> r =
      Query(control, contact.ToString(),
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", values, 1,
            timeout);
  if (!r.ok()) return r.status();
  const Result<ResultMessage> m = ParseResult(*r);
  const RowsResult* rows = Rows(m);
  if (rows == nullptr || rows->row_count == 0) {
    return Status::InvalidArgument("cassandra: keyspace '" + std::string(keyspace) +
                                   "' does not exist");
  }
  CellCursor cells = rows->cells();
  return ParseReplication(TextMap(cells.Next()));
}

Result<Topology> DiscoverTopology(Connection& control, const HostPort& contact,
                                  const Discovery& discovery, const Log& log) {
  const std::string address = contact.ToString();
  auto run = [&](std::string_view cql) {
    return Query(control, address, cql, {}, 0, discovery.timeout);
  };
  Topology topology;
  NodeInfo local;
  local.endpoint = contact;
  local.address = address;
  Result<std::string> r = run("SELECT data_center, rack, host_id, tokens FROM system.local");
  if (!r.ok()) return r.status();
  Result<ResultMessage> m = ParseResult(*r);
  if (const RowsResult* rows = Rows(m); rows != nullptr && rows->row_count > 0) {
    CellCursor cells = rows->cells();
    local.dc = TextCell(cells.Next());
    local.rack = TextCell(cells.Next());
    local.host_id = UuidCell(cells.Next());
    local.tokens = TokenSet(cells.Next());
  }
  topology.nodes.push_back(std::move(local));
  if (!discovery.discover_peers) {
    // The other contact points are nodes of their own, without tokens (they take requests
    // round-robin, and after the ring's replicas for routed ones), taken to be in the
    // connected one's data centre: the operator named them, nothing else says where they are.
    const std::string dc = topology.nodes.front().dc;
    for (const HostPort& hp : discovery.contact_points) {
      if (hp == contact) continue;
      NodeInfo other;
      other.endpoint = hp;
      other.address = hp.ToString();
      other.dc = dc;
      topology.nodes.push_back(std::move(other));
    }
  }
  if (discovery.discover_peers) {
    bool v2 = true;
    r =
        run("SELECT peer, native_address, native_port, data_center, rack, host_id, tokens "
            "FROM system.peers_v2");
    if (!r.ok()) {
      v2 = false;  // Cassandra 3.x has only system.peers
      r = run("SELECT peer, rpc_address, data_center, rack, host_id, tokens FROM system.peers");
    }
    if (!r.ok()) return r.status();
    m = ParseResult(*r);
    if (const RowsResult* rows = Rows(m)) {
      CellCursor cells = rows->cells();
      for (int32_t i = 0; i < rows->row_count; ++i) {
        const std::optional<std::string> peer = InetText(cells.Next());
        const std::optional<std::string> host = InetText(cells.Next());
        std::optional<int32_t> port = contact.port;
        if (v2) port = IntCell(cells.Next());
        NodeInfo node;
        node.dc = TextCell(cells.Next());
        node.rack = TextCell(cells.Next());
        node.host_id = UuidCell(cells.Next());
        node.tokens = TokenSet(cells.Next());
        const std::string name = peer.value_or("?");
        if (!host || !port || *port <= 0 || *port > 65535) {
          log.Debug("leaving out peer " + name + ": it lists no CQL address");
          continue;
        }
        if (node.host_id.empty() || node.tokens.empty()) {
          log.Debug("leaving out peer " + name + ": it lists no " +
                    (node.host_id.empty() ? "host_id" : "tokens") + " (joining or leaving)");
          continue;
        }
        node.endpoint = HostPort{*host, static_cast<uint16_t>(*port)};
        node.address = node.endpoint.ToString();
        topology.nodes.push_back(std::move(node));
      }
    }
  }
  KeepNodesIn(topology.nodes, discovery.node_networks, discovery.contact_points, log);
  topology.ring = MakeRing(topology.nodes);
  if (!discovery.keyspace.empty()) {
    Result<Replication> replication =
        ReadReplication(control, contact, discovery.keyspace, discovery.timeout);
    if (!replication.ok()) return replication.status();
    topology.replication = std::move(replication).value();
  }
  return topology;
}

}  // namespace shoal::store::cassandra
