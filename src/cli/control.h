// NodeControl: api::Control (purge, the peer list) for this node, over its cluster::Cluster
// when it is a member, or over its own caches alone when it is a single node.
//
// The api cannot see the cluster and the cluster cannot see the router (STYLE.md), so cli
// joins them here: a purge's target is checked and canonicalised by api::Admin, spread by
// the cluster, and applied on each node by api::PurgeLocal (LocalPurgeFor).
//
// Ownership: borrows the ReadThrough and the cluster, which outlive it. Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/router.h"
#include "cache/read_through.h"
#include "cluster/cluster.h"

namespace shoal::cli {

// LocalPurgeFor returns the function a Cluster calls to purge this node's caches.
cluster::Cluster::LocalPurge LocalPurgeFor(std::shared_ptr<const api::Router> router);

class NodeControl final : public api::Control {
 public:
  // `cluster` is null on a single node.
  NodeControl(std::shared_ptr<const api::Router> router, cache::ReadThrough& read_through,
              cluster::Cluster* cluster);

  void Purge(api::PurgeScope scope, std::string text,
             std::function<void(api::PurgeOutcome)> done) override;
  bool Clustered() const override { return cluster_ != nullptr; }
  std::string Self() const override;
  std::vector<api::PeerView> Peers() const override;
  Status SetPeers(std::vector<std::string> peers) override;
  api::ClusterInfo Cluster() const override;

 private:
  const cluster::Cluster::LocalPurge local_purge_;
  cache::ReadThrough& read_through_;
  cluster::Cluster* const cluster_;
};

}  // namespace shoal::cli
