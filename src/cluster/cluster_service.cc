// Cluster's PeerService (peer_transport.h): other nodes' GETs (peer_get.h), MEMBERS
// (membership_sync.h), PURGEs and PURGE_SYNCs (purge_coordinator.h), answered from this node
// only; which callers are known; and the making of the PurgeCoordinator and the GET server,
// whose hooks reach State weakly.
// Thread-safety: the transport calls these on any thread.
#include <utility>

#include "cluster/cluster_checks.h"
#include "cluster/cluster_internal.h"

namespace shoal::cluster {

using cluster_internal::Contains;

void Cluster::State::ServeGet(const GetRequest& request, ServeGetReply reply) {
  served_gets.fetch_add(1, std::memory_order_relaxed);
  cache::ReadThrough* rt = read_through.load();
  if (rt == nullptr) return reply(Status::Unavailable("not started"), 0);
  get_server->Serve(*rt, request, std::move(reply));
}

MembersReply Cluster::State::ServeMembers(const MembersRequest& request) {
  return sync->Serve(request);
}

bool Cluster::State::KnownCaller(std::string_view address) const {
  if (address == options.self) return false;
  if (options.callers.empty()) return true;
  if (Contains(options.callers, address)) return true;
  std::shared_ptr<const Membership> m = membership.load();
  return m->ring.IndexOf(address).has_value();
}

Result<uint64_t> Cluster::State::ServePurge(const PurgeTarget& target) {
  served_purges.fetch_add(1, std::memory_order_relaxed);
  cache::ReadThrough* rt = read_through.load();
  if (rt == nullptr) return Status::Unavailable("not started");
  return purge->Receive(target);
}

Result<SyncReply> Cluster::State::ServeSync(const SyncRequest& request) {
  if (read_through.load() == nullptr) return Status::Unavailable("not started");
  return purge->ServeSync(request);
}

void Cluster::State::MakePurge() {
  std::weak_ptr<State> weak = weak_from_this();
  PurgeCoordinator::Hooks hooks;
  hooks.apply_local = [weak](const PurgeTarget& t) -> Result<uint64_t> {
    std::shared_ptr<State> s = weak.lock();
    cache::ReadThrough* rt = s ? s->read_through.load() : nullptr;
    if (rt == nullptr) return Status::Unavailable("not started");
    return s->local_purge(*rt, t);
  };
  hooks.group_of_route = options.group_of_route;
  hooks.client_for = [weak](std::string_view address) -> std::shared_ptr<PeerClient> {
    std::shared_ptr<State> s = weak.lock();
    return s ? s->ClientFor(address) : nullptr;
  };
  hooks.after = [weak](Duration d, std::function<void()> fn) {
    if (std::shared_ptr<State> s = weak.lock(); s && !s->stopping)
      s->transport.After(d, std::move(fn));
  };
  purge = std::make_shared<PurgeCoordinator>(
      PurgeSequencerOptions{.self = options.self, .log_capacity = options.purge_log},
      std::move(hooks), options.peer_timeout, options.probe_interval, log);
  get_server = std::make_shared<PeerGetServer>(inner, clock, purge, options.min_load_time);
}

}  // namespace shoal::cluster
