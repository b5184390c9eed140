// The peer-list checks of cluster_checks.h.
#include "cluster/cluster_checks.h"

#include "base/host_port.h"

namespace shoal::cluster::cluster_internal {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& x : v) {
    if (x == s) return true;
  }
  return false;
}

Status CheckPeers(const std::string& self, const std::vector<std::string>& peers, bool has_memory) {
  for (const auto& p : peers) {
    if (Result<HostPort> a = ParseHostPort(p); !a.ok()) return a.status();
  }
  const bool listed = Contains(peers, self);
  if (has_memory && !listed) {
    return Status::InvalidArgument("this node (" + self +
                                   ") has cache memory, so it owns keys and must be one of the "
                                   "peers; a node that owns nothing has cache.memory 0");
  }
  if (!has_memory && listed) {
    return Status::InvalidArgument("this node (" + self +
                                   ") has cache.memory 0, so it owns no keys and must not be "
                                   "one of the peers");
  }
  return Status::Ok();
}

Status CheckLoopbackWithoutSecret(const ClusterOptions& o, const std::vector<std::string>& peers) {
  if (!o.secret.empty() || !o.tls.ca.empty() || o.insecure) return Status::Ok();
  auto refuse = [](const std::string& what) {
    return Status::InvalidArgument(what +
                                   " is not on loopback and there is no cluster.secret nor "
                                   "cluster.tls: peers would talk unauthenticated; set a "
                                   "secret or TLS (or cluster.insecure: true to accept the "
                                   "risk)");
  };
  for (const auto& p : peers) {
    Result<HostPort> a = ParseHostPort(p);
    if (a.ok() && !IsLoopbackHost(a->host)) return refuse("peer " + p);
  }
  std::string listen = o.listen_host;
  if (listen.empty()) {
    Result<HostPort> self = ParseHostPort(o.self);
    if (self.ok()) listen = self->host;
  }
  if (!listen.empty() && !IsLoopbackHost(listen)) return refuse("the peer port's host " + listen);
  return Status::Ok();
}

}  // namespace shoal::cluster::cluster_internal
