#include "cli/control.h"

#include <utility>

namespace shoal::cli {

cluster::Cluster::LocalPurge LocalPurgeFor(std::shared_ptr<api::LiveServing> serving) {
  return [serving = std::move(serving)](cache::ReadThrough& rt,
                                        const cluster::PurgeTarget& t) -> Result<uint64_t> {
    const std::shared_ptr<const api::Router> router = serving->Current()->router;
    if (t.kind == cluster::PurgeKind::kAll) {  // a purge catch-up's flush: every endpoint
      uint64_t n = rt.PurgeGroup(0);           // group 0: keys of no endpoint
      // Groups of endpoints a reload removed were purged by that reload.
      for (size_t i = 0; i < router->endpoint_count(); ++i) {
        n += rt.PurgeGroup(router->endpoint(i).group);
      }
      return n;
    }
    const api::PurgeScope scope = t.kind == cluster::PurgeKind::kKey   ? api::PurgeScope::kKey
                                  : t.kind == cluster::PurgeKind::kTag ? api::PurgeScope::kTag
                                                                       : api::PurgeScope::kEndpoint;
    return api::PurgeLocal(*router, rt, scope, t.text, t.soft);
  };
}

NodeControl::NodeControl(std::shared_ptr<api::LiveServing> serving,
                         cache::ReadThrough& read_through, cluster::Cluster* cluster)
    : local_purge_(LocalPurgeFor(std::move(serving))),
      read_through_(read_through),
      cluster_(cluster) {}

void NodeControl::Purge(api::PurgeRequest request, std::function<void(api::PurgeOutcome)> done) {
  const cluster::PurgeKind kind = request.scope == api::PurgeScope::kKey ? cluster::PurgeKind::kKey
                                  : request.scope == api::PurgeScope::kTag
                                      ? cluster::PurgeKind::kTag
                                      : cluster::PurgeKind::kEndpoint;
  cluster::PurgeTarget target{kind, std::move(request.text)};
  target.soft = request.soft;
  if (cluster_ == nullptr) {
    api::PurgeOutcome outcome;
    Result<uint64_t> n = local_purge_(read_through_, target);
    if (n.ok()) {
      outcome.removed = *n;
      outcome.nodes = 1;
    } else {
      outcome.failed.push_back("this node: " + std::string(n.status().message()));
    }
    return done(std::move(outcome));
  }
  cluster_->Purge(target, [done = std::move(done)](cluster::PurgeSummary s) {
    done(api::PurgeOutcome{s.removed, s.nodes, std::move(s.failed)});
  });
}

void NodeControl::Reload(std::function<void(api::ReloadOutcome)> done) {
  if (!reload_) return api::Control::Reload(std::move(done));
  reload_(std::move(done));
}

std::string NodeControl::Self() const { return cluster_ ? cluster_->self() : std::string(); }

std::vector<api::PeerView> NodeControl::Peers() const {
  std::vector<api::PeerView> out;
  if (cluster_ == nullptr) return out;
  for (const cluster::PeerInfo& p : cluster_->Peers()) out.push_back({p.address, p.self, p.up});
  return out;
}

Status NodeControl::SetPeers(std::vector<std::string> peers) {
  if (cluster_ == nullptr) return Status::InvalidArgument("this node is not in a cluster");
  return cluster_->SetPeers(std::move(peers));
}

api::ClusterInfo NodeControl::Cluster() const {
  api::ClusterInfo info;
  if (cluster_ == nullptr) return info;
  const cluster::ClusterView v = cluster_->View();
  info.self = v.self;
  info.member = v.member;
  info.source = std::string(cluster::ListSourceName(v.source));
  info.source_name = v.source_name;
  info.epoch = v.version.epoch;
  info.origin = v.version.origin;
  for (const cluster::MemberView& m : v.members) {
    api::MemberInfo out;
    out.address = m.address;
    out.self = m.self;
    out.state = m.state;
    out.share = m.share;
    std::optional<cluster::ListVersion> reported = m.self ? v.version : m.reported;
    if (reported) {
      out.reported = true;
      out.reported_epoch = reported->epoch;
      out.reported_origin = reported->origin;
    }
    info.members.push_back(std::move(out));
  }
  return info;
}

}  // namespace shoal::cli
