// Cluster's membership snapshots (cluster_internal.h): making the peers of a list, building
// a snapshot that keeps the peers (and clients) that stay and the ring before the last change
// (for handovers), swapping one in when MembershipSync adopts or proposes a list, and closing
// the clients of peers that left once the change has settled.
// Thread-safety: Apply and CloseRetired take State::set_mu; the lookups read the current
// snapshot and may run on any thread.
#include <utility>

#include "base/host_port.h"
#include "base/interned.h"
#include "cluster/cluster_checks.h"
#include "cluster/cluster_internal.h"

namespace shoal::cluster {

using cluster_internal::CheckLoopbackWithoutSecret;
using cluster_internal::Membership;
using cluster_internal::Peer;

std::shared_ptr<Peer> Cluster::State::MakePeer(const std::string& address) const {
  auto peer = std::make_shared<Peer>();
  peer->address = address;
  peer->interned = Intern(address);  // member addresses: a bounded set
  peer->self = address == options.self;
  if (!peer->self) peer->client = transport.Connect(address);  // checked before
  return peer;
}

std::shared_ptr<const Membership> Cluster::State::Build(std::vector<std::string> names,
                                                        const Membership* old) const {
  auto m = std::make_shared<Membership>(std::move(names), options.ring_points);
  for (const std::string& name : m->ring.nodes()) {
    std::shared_ptr<Peer> peer;
    if (old != nullptr) {
      if (auto i = old->ring.IndexOf(name)) peer = old->peers[*i];
    }
    m->peers.push_back(peer ? std::move(peer) : MakePeer(name));
  }
  if (auto i = m->ring.IndexOf(options.self)) m->self_index = *i;
  KeepPrevious(*m, old);
  return m;
}

void Cluster::State::KeepPrevious(Membership& m, const Membership* old) const {
  if (old != nullptr && old->ring.nodes() == m.ring.nodes()) {
    m.previous_ring = old->previous_ring;
    m.changed = old->changed;
    m.handover_streak = old->handover_streak;
    return;
  }
  m.handover_streak = std::make_shared<HandoverStreak>();
  std::vector<std::string> before = old != nullptr ? old->ring.nodes() : m.ring.nodes();
  if (old == nullptr) std::erase(before, options.self);
  m.changed = clock.Now();
  if (!before.empty()) {
    m.previous_ring = std::make_shared<const HashRing>(std::move(before), options.ring_points);
  }
}

Status Cluster::State::Apply(std::vector<std::string> peers) {
  State& s = *this;
  for (const auto& p : peers) {
    if (Result<HostPort> a = ParseHostPort(p); !a.ok()) return a.status();
  }
  if (Status st = CheckLoopbackWithoutSecret(s.options, peers); !st.ok()) return st;
  {
    MutexLock lock(s.set_mu);
    if (s.stopped) return Status::Cancelled("shutting down");
    std::shared_ptr<const Membership> old = s.membership.load();
    std::shared_ptr<const Membership> next = s.Build(std::move(peers), old.get());
    s.membership.store(next);
    s.ring_changes.fetch_add(1, std::memory_order_relaxed);
    for (const auto& peer : old->peers) {
      if (!next->ring.IndexOf(peer->address)) s.retiring.push_back(peer);
    }
  }
  return Status::Ok();
}

void Cluster::State::CloseRetired() {
  std::vector<std::shared_ptr<Peer>> retired;
  {
    MutexLock lock(set_mu);
    retired.swap(retiring);
  }
  // Peers that left: their clients close now, outside every lock (Close waits for
  // callbacks); calls in flight on them fail with Cancelled and are loaded here.
  for (const auto& peer : retired) {
    peer->retired = true;
    if (peer->client) peer->client->Close();
  }
}

std::shared_ptr<PeerClient> Cluster::State::MemberClient(const std::string& address) const {
  std::shared_ptr<const Membership> m = membership.load();
  auto i = m->ring.IndexOf(address);
  return i ? m->peers[*i]->client : nullptr;
}

std::shared_ptr<PeerClient> Cluster::State::ClientFor(std::string_view address) const {
  if (stopping) return nullptr;
  std::shared_ptr<const Membership> m = membership.load();
  for (const auto& peer : m->peers) {
    if (peer->address == address && !peer->self && !peer->retired) return peer->client;
  }
  return nullptr;
}

}  // namespace shoal::cluster
