// NodeControl: api::Control (purge, the peer list) for this node, over its cluster::Cluster
// when it is a member, or over its own caches alone when it is a single node.
//
// The api cannot see the cluster and the cluster cannot see the router (STYLE.md), so cli
// joins them here: a purge's target is checked and canonicalised by api::Admin, spread by
// the cluster, and applied on each node by api::PurgeLocal (LocalPurgeFor).
//
// The endpoints are read from the LiveServing (api/serving.h) at each purge, so a purge
// follows a config reload. Reload is handed to the function SetReload gave (cli/reload.h).
//
// Ownership: borrows the ReadThrough and the cluster, which outlive it. Thread-safety:
// thread-safe, once SetReload (if used) was called before serving.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/router.h"
#include "api/serving.h"
#include "cache/read_through.h"
#include "cluster/cluster.h"

namespace shoal::cli {

// LocalPurgeFor returns the function a Cluster calls to purge this node's caches.
cluster::Cluster::LocalPurge LocalPurgeFor(std::shared_ptr<api::LiveServing> serving);

class NodeControl final : public api::Control {
 public:
  // `cluster` is null on a single node.
  NodeControl(std::shared_ptr<api::LiveServing> serving, cache::ReadThrough& read_through,
              cluster::Cluster* cluster);

  using ReloadFunction = std::function<void(std::function<void(api::ReloadOutcome)>)>;
  // SetReload makes Reload call `reload` (Reloader::Request). Before serving.
  void SetReload(ReloadFunction reload) { reload_ = std::move(reload); }

  void Purge(api::PurgeRequest request, std::function<void(api::PurgeOutcome)> done) override;
  bool Clustered() const override { return cluster_ != nullptr; }
  std::string Self() const override;
  std::vector<api::PeerView> Peers() const override;
  Status SetPeers(std::vector<std::string> peers) override;
  api::ClusterInfo Cluster() const override;
  void Reload(std::function<void(api::ReloadOutcome)> done) override;

 private:
  ReloadFunction reload_;
  const cluster::Cluster::LocalPurge local_purge_;
  cache::ReadThrough& read_through_;
  cluster::Cluster* const cluster_;
};

}  // namespace shoal::cli
