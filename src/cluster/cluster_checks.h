// The checks of a peer list Cluster makes before it uses one (ValidateOptions, Start,
// SetPeers, a list adopted from a peer): addresses parse, a node with memory is listed and
// one without is not, and no peer talks unauthenticated beyond loopback.
// Thread-safety: functions of their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/cluster.h"

namespace shoal::cluster::cluster_internal {

bool Contains(const std::vector<std::string>& v, std::string_view s);

// CheckPeers: every peer is host:port, and `self` is listed exactly when it has memory.
Status CheckPeers(const std::string& self, const std::vector<std::string>& peers, bool has_memory);

// CheckLoopbackWithoutSecret: with no secret and no TLS (and not insecure), every peer and the
// peer port's host must be on loopback (H3 of the security review: an unauthenticated peer
// port serves purges and reads to whoever reaches it). Mutual TLS authenticates on its own.
Status CheckLoopbackWithoutSecret(const ClusterOptions& o, const std::vector<std::string>& peers);

}  // namespace shoal::cluster::cluster_internal
