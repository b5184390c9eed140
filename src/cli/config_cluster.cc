// The cluster section of the config: this node's peer address, the owners (or where the list
// comes from: peers, peers_file, peers_dns, seeds), the peer secret, mutual TLS
// (config_tls.cc), and where to connect to reach a member (connect_to).
#include <algorithm>

#include "base/host_port.h"
#include "cli/config_internal.h"
#include "cluster/peers_dns.h"
#include "cluster/peers_file.h"

namespace shoal::cli::config_internal {
namespace {

constexpr std::string_view kHow =
    "set cluster.secret (or secret_env) or cluster.tls, or cluster.insecure: true to accept that";

// CheckPeerExposure refuses a peer port without a secret or TLS that others can reach, or peers
// beyond loopback called without one (security review H3), unless cluster.insecure is set;
// then it leaves a warning that serve prints at every start.
void CheckPeerExposure(const Walker& w, const YAML::Node& node, Config* c) {
  const cluster::ClusterOptions& o = c->cluster;
  if (!o.secret.empty() || !o.tls.ca.empty()) return;  // either authenticates the peers
  std::string problem;
  YAML::Node at;
  if (node["listen"] && !IsLoopbackHost(o.listen_host)) {
    at = node["listen"];
    problem = "cluster.listen: the peer port would listen on " + o.listen_host +
              " without a secret, so anyone who reaches it could read and purge the cache; ";
  }
  if (problem.empty() && !node["listen"]) {
    if (Result<HostPort> self = ParseHostPort(o.self); self.ok() && !IsLoopbackHost(self->host)) {
      at = node["self"];
      problem = "cluster.self: " + self->host +
                " is not a loopback address and there is no secret, so peers would call this "
                "node unauthenticated; ";
    }
  }
  if (problem.empty() && node["peers"]) {
    for (size_t i = 0; i < o.peers.size() && problem.empty(); ++i) {
      Result<HostPort> peer = ParseHostPort(o.peers[i]);
      if (peer.ok() && !IsLoopbackHost(peer->host)) {
        at = node["peers"][i];
        problem = "cluster.peers: " + o.peers[i] +
                  " is not a loopback address and there is no secret, so this node would call "
                  "it unauthenticated; ";
      }
    }
  }
  if (problem.empty()) return;
  if (!o.insecure) w.Fail(at, problem + std::string(kHow));
  c->warnings.push_back(w.file() + ":" + std::to_string(w.Line(node["insecure"])) +
                        ": cluster.insecure: the peer port has no secret and is reachable "
                        "beyond loopback: anyone who reaches it can read and purge the cache");
}

// ParseConnectTo reads cluster.connect_to, `{ "MEMBER HOST:PORT": "DIAL HOST:PORT", ... }`:
// where to connect to reach a member when not at its own address (a proxy or tunnel in front
// of it, like curl's --connect-to). The member keeps its name in the ring and the handshake.
void ParseConnectTo(const Walker& w, const YAML::Node& node, Config* c) {
  constexpr std::string_view kShape =
      "cluster.connect_to: expected a map of member HOST:PORT to the HOST:PORT to connect to "
      "instead, e.g. { \"10.0.0.2:7070\": \"127.0.0.1:17070\" }";
  if (!node.IsMap()) w.Fail(node, kShape);
  cluster::ClusterOptions& o = c->cluster;
  for (const auto& entry : node) {
    const std::string member = w.Scalar(entry.first, "cluster.connect_to");
    if (Result<HostPort> hp = ParseHostPort(member); !hp.ok()) {
      w.Fail(entry.first, "cluster.connect_to: " + std::string(hp.status().message()));
    }
    const std::string where = "cluster.connect_to: " + member;
    const std::string dial = w.Scalar(entry.second, where);
    Result<HostPort> to = ParseHostPort(dial);
    if (!to.ok()) w.Fail(entry.second, where + ": " + std::string(to.status().message()));
    if (member == o.self) {
      w.Fail(entry.first, where + ": that is this node (cluster.self), which never dials itself");
    }
    if (o.connect_to.count(member) != 0) w.Fail(entry.first, where + ": listed twice");
    if (o.secret.empty() && o.tls.ca.empty() && !o.insecure && !IsLoopbackHost(to->host)) {
      w.Fail(entry.second,
             where + ": " + to->host +
                 " is not a loopback address and there is no secret or TLS, so this node "
                 "would call it unauthenticated; " +
                 std::string(kHow));
    }
    const bool known = std::find(o.peers.begin(), o.peers.end(), member) != o.peers.end() ||
                       std::find(o.callers.begin(), o.callers.end(), member) != o.callers.end();
    if (!known) {
      c->warnings.push_back(w.file() + ":" + std::to_string(w.Line(entry.first)) + ": " + where +
                            ": not in cluster.peers (the entry applies if it joins)");
    }
    o.connect_to.emplace(member, dial);
  }
}

// ParseListSource reads where the member list comes from: exactly one of peers, peers_file,
// peers_dns and seeds. Returns the node to blame for a bad list.
YAML::Node ParseListSource(const Walker& w, const YAML::Node& node, Config* c) {
  cluster::ClusterOptions& o = c->cluster;
  cluster::MembershipOptions& m = o.membership;
  const char* keys[] = {"peers", "peers_file", "peers_dns", "seeds"};
  YAML::Node given;
  int count = 0;
  for (const char* k : keys) {
    if (node[k]) {
      ++count;
      if (count > 1) {
        w.Fail(node[k], std::string("cluster.") + k +
                            ": give exactly one of peers, peers_file, peers_dns and seeds");
      }
      given = node[k];
    }
  }
  if (count == 0) {
    w.Fail(node,
           "cluster: needs one of 'peers: [HOST:PORT, ...]', 'peers_file: PATH', "
           "'peers_dns: NAME' or 'seeds: [HOST:PORT, ...]' (where the member list comes from)");
  }
  if (node["dns_server"] && !node["peers_dns"]) {
    w.Fail(node["dns_server"], "cluster.dns_server: only with cluster.peers_dns");
  }
  if (node["dns_interval"] && !node["peers_dns"]) {
    w.Fail(node["dns_interval"], "cluster.dns_interval: only with cluster.peers_dns");
  }
  if (auto n = node["sync_interval"]) m.anti_entropy = w.Dur(n, "cluster.sync_interval");
  auto address_list = [&](const YAML::Node& list, const char* where) {
    std::vector<std::string> out;
    if (!list.IsSequence()) w.Fail(list, std::string(where) + ": expected a list of HOST:PORT");
    for (const auto& p : list) {
      std::string a = w.Scalar(p, where);
      if (Result<HostPort> hp = ParseHostPort(a); !hp.ok()) {
        w.Fail(p, std::string(where) + ": " + std::string(hp.status().message()));
      }
      out.push_back(std::move(a));
    }
    return out;
  };
  if (node["peers"]) {
    if (!node["peers"].IsSequence()) {
      w.Fail(node["peers"], "cluster.peers: expected a list of HOST:PORT (the key owners)");
    }
    for (const auto& p : node["peers"]) o.peers.push_back(w.Scalar(p, "cluster.peers"));
  } else if (auto f = node["peers_file"]) {
    m.source = cluster::ListSource::kFile;
    m.source_name = w.Scalar(f, "cluster.peers_file");
    Result<std::vector<std::string>> read = cluster::ReadPeersFile(m.source_name);
    if (!read.ok()) w.Fail(f, "cluster.peers_file: " + std::string(read.status().message()));
    o.peers = std::move(*read);
    m.read_source = [path = m.source_name] { return cluster::ReadPeersFile(path); };
  } else if (auto d = node["peers_dns"]) {
    m.source = cluster::ListSource::kDns;
    cluster::DnsSource dns;
    dns.name = w.Scalar(d, "cluster.peers_dns");
    if (dns.name.empty()) w.Fail(d, "cluster.peers_dns: expected a DNS name");
    if (auto n = node["dns_server"]) {
      dns.server = w.Scalar(n, "cluster.dns_server");
      if (Result<HostPort> hp = ParseHostPort(dns.server); !hp.ok()) {
        w.Fail(n, "cluster.dns_server: " + std::string(hp.status().message()));
      }
    }
    m.source_interval = std::chrono::seconds(5);
    if (auto n = node["dns_interval"]) m.source_interval = w.Dur(n, "cluster.dns_interval");
    if (Result<HostPort> self = ParseHostPort(o.self); self.ok()) dns.port = self->port;
    m.source_name = dns.name;
    m.read_source = [dns] { return cluster::ResolvePeers(dns); };
  } else {
    m.source = cluster::ListSource::kSeeds;
    m.seeds = address_list(node["seeds"], "cluster.seeds");
  }
  return given;
}

}  // namespace

void ParseCluster(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "cluster",
        {"self",           "peers",       "peers_file",    "peers_dns",  "dns_server",
         "dns_interval",   "seeds",       "sync_interval", "callers",    "listen",
         "secret",         "secret_env",  "tls",           "insecure",   "peer_timeout",
         "probe_interval", "connections", "threads",       "hot_memory", "hot_min_hits",
         "ring_points",    "connect_to",  "handover"});
  c->clustered = true;
  cluster::ClusterOptions& o = c->cluster;
  if (!node["self"]) w.Fail(node, "cluster: needs 'self: HOST:PORT' (this node's peer address)");
  o.self = w.Scalar(node["self"], "cluster.self");
  const YAML::Node peers = ParseListSource(w, node, c);
  o.has_memory = c->cache_memory > 0;
  if (const YAML::Node callers = node["callers"]) {
    if (!callers.IsSequence()) {
      w.Fail(callers, "cluster.callers: expected a list of HOST:PORT (nodes that own no keys)");
    }
    for (const auto& p : callers) {
      std::string caller = w.Scalar(p, "cluster.callers");
      if (Result<HostPort> hp = ParseHostPort(caller); !hp.ok()) {
        w.Fail(p, "cluster.callers: " + std::string(hp.status().message()));
      }
      o.callers.push_back(std::move(caller));
    }
  }
  o.secret =
      w.Secret(node, "cluster", "secret", "it authenticates every peer", &c->file_holds_secret);
  if (auto n = node["tls"]) ParseClusterTls(w, n, &o.tls);
  if (auto n = node["insecure"]) o.insecure = w.Bool(n, "cluster.insecure");
  if (auto n = node["handover"]) o.handover = w.Bool(n, "cluster.handover");
  if (auto n = node["listen"]) {
    o.listen_host = w.Scalar(n, "cluster.listen");
  } else if (o.secret.empty() && o.tls.ca.empty() && !o.insecure) {
    // Without a secret anyone who reaches the peer port can read the cache and purge it.
    o.listen_host = "127.0.0.1";
    c->peer_listen_defaulted = true;
  }
  if (auto n = node["peer_timeout"]) o.peer_timeout = w.Dur(n, "cluster.peer_timeout");
  if (auto n = node["probe_interval"]) o.probe_interval = w.Dur(n, "cluster.probe_interval");
  if (auto n = node["connections"]) {
    o.connections = static_cast<size_t>(w.Int(n, "cluster.connections", 1, 64));
  }
  if (auto n = node["threads"]) {
    c->rpc_threads = static_cast<size_t>(w.Int(n, "cluster.threads", 1, 64));
  }
  if (auto n = node["hot_min_hits"]) {
    o.hot_min_hits = static_cast<uint32_t>(w.Int(n, "cluster.hot_min_hits", 1, 15));
  }
  if (auto n = node["ring_points"]) {
    o.ring_points = static_cast<size_t>(w.Int(n, "cluster.ring_points", 1, 4096));
  }
  c->hot_memory = c->cache_memory / 8;
  if (auto n = node["hot_memory"]) {
    c->hot_memory = w.Size(n, "cluster.hot_memory");
    if (c->cache_memory > 0 && c->hot_memory >= c->cache_memory) {
      w.Fail(n, "cluster.hot_memory: must be below cache.memory (it is taken out of it)");
    }
  }
  if (c->cache_memory == 0) c->hot_memory = 0;  // a node without memory keeps no copies
  o.hot_cache = c->hot_memory > 0;
  // self is checked here, at its own line; what ValidateOptions finds is about the peer list.
  if (Result<HostPort> self = ParseHostPort(o.self); !self.ok()) {
    w.Fail(node["self"], "cluster: self: " + std::string(self.status().message()));
  }
  if (Status s = cluster::Cluster::ValidateOptions(o, c->cache_memory > 0); !s.ok()) {
    w.Fail(peers, "cluster: " + std::string(s.message()));
  }
  CheckPeerExposure(w, node, c);
  if (const YAML::Node connect_to = node["connect_to"]) ParseConnectTo(w, connect_to, c);
}

}  // namespace shoal::cli::config_internal
