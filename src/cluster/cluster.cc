// Cluster's public methods (cluster.h): construction and Init (the State, the purge
// coordinator, the first snapshot, MembershipSync and its hooks), Start/Stop, the Loader's
// entry points, SetPeers, the views, Purge's fan-out and the stats. The insides are in
// cluster_internal.h; the miss path and peer health in cluster_routing.cc, snapshots and list
// changes in cluster_members.cc, the PeerService in cluster_service.cc, the list checks in
// cluster_checks.cc. Purge sequencing lives in purge_coordinator.cc, the serving of peers'
// GETs in peer_get.cc, handover asks in handover.cc. Nothing here knows the wire: the
// transport carries GET / PURGE / PURGE_SYNC / MEMBERS / PING and runs the timers.
#include "cluster/cluster.h"

#include <utility>

#include "base/host_port.h"
#include "cluster/cluster_checks.h"
#include "cluster/cluster_internal.h"
#include "cluster/rpc_transport.h"

namespace shoal::cluster {

using cluster_internal::CheckLoopbackWithoutSecret;
using cluster_internal::CheckPeers;
using cluster_internal::Contains;
using cluster_internal::Membership;
using cluster_internal::Peer;

Status Cluster::ValidateOptions(const ClusterOptions& options, bool has_memory) {
  Result<HostPort> self = ParseHostPort(options.self);
  if (!self.ok()) return Status::InvalidArgument("self: " + std::string(self.status().message()));
  // The rule that a node with memory is listed holds for a static list only: a file, DNS or
  // seeds may not list this node yet (it then owns no keys until they do).
  if (options.membership.source != ListSource::kStatic) return Status::Ok();
  return CheckPeers(options.self, options.peers, has_memory);
}

namespace {

RpcTransportOptions TransportOptions(const ClusterOptions& o) {
  RpcTransportOptions t;
  t.self = o.self;
  t.listen_host = o.listen_host;
  t.secret = o.secret;
  t.tls = o.tls;
  t.insecure = o.insecure;
  t.connections = o.connections;
  t.connect_to = o.connect_to;
  t.connect_timeout = o.peer_timeout;
  t.backoff_max = o.probe_interval;  // a probe of a peer that is back dials it at once
  // A peer connection silent for four probe intervals is dropped by its server; clients PING
  // every probe interval when they have nothing else to send, so live ones never are.
  t.keepalive = o.probe_interval;
  t.idle_timeout = 4 * o.probe_interval;
  t.logger = o.logger;
  return t;
}

}  // namespace

Cluster::Cluster(ClusterOptions options, rpc::Runtime& runtime, cache::Loader& inner,
                 const Clock& clock, LocalPurge local_purge) {
  auto owned = std::make_unique<RpcTransport>(runtime, clock, TransportOptions(options));
  PeerTransport& transport = *owned;
  Init(std::move(options), std::move(owned), transport, inner, clock, std::move(local_purge));
}

Cluster::Cluster(ClusterOptions options, PeerTransport& transport, cache::Loader& inner,
                 const Clock& clock, LocalPurge local_purge) {
  Init(std::move(options), nullptr, transport, inner, clock, std::move(local_purge));
}

void Cluster::Init(ClusterOptions options, std::unique_ptr<PeerTransport> owned,
                   PeerTransport& transport, cache::Loader& inner, const Clock& clock,
                   LocalPurge local_purge) {
  state_ = std::make_shared<State>(std::move(options), std::move(owned), transport, inner, clock,
                                   std::move(local_purge));
  State& s = *state_;
  const MembershipOptions& mo = s.options.membership;
  s.has_memory = mo.source == ListSource::kStatic ? Contains(s.options.peers, s.options.self)
                                                  : s.options.has_memory;
  s.MakePurge();
  s.membership.store(s.Build(s.options.peers, nullptr));
  std::weak_ptr<State> weak = state_;
  MembershipSync::Hooks hooks;
  hooks.apply = [weak](const std::vector<std::string>& peers) {
    std::shared_ptr<State> st = weak.lock();
    return st ? st->Apply(peers) : Status::Cancelled("shutting down");
  };
  hooks.settled = [weak] {
    if (std::shared_ptr<State> st = weak.lock()) st->CloseRetired();
  };
  hooks.member_client = [weak](const std::string& address) {
    std::shared_ptr<State> st = weak.lock();
    return st ? st->MemberClient(address) : nullptr;
  };
  s.sync = std::make_shared<MembershipSync>(s.options.self, s.has_memory, mo, s.transport, s.clock,
                                            s.options.peer_timeout, s.log, std::move(hooks),
                                            StaticList(s.options.peers));
}

Cluster::~Cluster() { Stop(); }

Status Cluster::Start(cache::ReadThrough& read_through) {
  State& s = *state_;
  if (Status st = CheckLoopbackWithoutSecret(s.options, s.options.peers); !st.ok()) return st;
  if (s.options.secret.empty() && s.options.tls.ca.empty() && s.options.insecure) {
    s.log.Warn(
        "cluster.insecure: no secret, and peers beyond loopback are allowed: anyone who reaches "
        "the peer port can read and purge this node's cache");
  }
  s.read_through.store(&read_through);
  if (Status st = s.transport.Serve(s); !st.ok()) return st;
  s.sync->Start();
  return Status::Ok();
}

uint16_t Cluster::peer_port() const { return state_->transport.port(); }

void Cluster::Stop() {
  State& s = *state_;
  {
    MutexLock lock(s.set_mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  s.stopping = true;
  s.sync->Stop();
  s.transport.StopServing();
  std::shared_ptr<const Membership> m = s.membership.load();
  for (const auto& peer : m->peers) {
    peer->retired = true;
    if (peer->client) peer->client->Close();
  }
}

uint32_t Cluster::GroupOf(std::string_view key) const { return state_->inner.GroupOf(key); }

cache::KeyPolicy Cluster::PolicyOf(std::string_view key) const {
  return state_->inner.PolicyOf(key);
}

bool Cluster::IsLocal(std::string_view key) const {
  std::shared_ptr<const Membership> m = state_->membership.load();
  const std::shared_ptr<Peer>* owner = m->Owner(key);
  return owner == nullptr || (*owner)->self;
}

std::string_view Cluster::OwnerOf(std::string_view key) const {
  std::shared_ptr<const Membership> m = state_->membership.load();
  const std::shared_ptr<Peer>* owner = m->Owner(key);
  return owner == nullptr ? std::string_view() : (*owner)->interned;
}

void Cluster::Load(std::string key, cache::Scope scope, cache::LoadCallback done) {
  State& s = *state_;
  std::shared_ptr<const Membership> m = s.membership.load();
  const std::shared_ptr<Peer>* owner = m->Owner(key);
  if (owner != nullptr && (*owner)->self) return s.LoadOwned(std::move(key), *m, std::move(done));
  if (scope == cache::Scope::kLocal) return s.LoadHere(std::move(key), std::move(done));
  // A key too long for a GET frame is loaded here: the owner would refuse it and drop the
  // connection, and every call on it.
  if (owner == nullptr || (*owner)->self || key.size() > kMaxKey) {
    return s.LoadHere(std::move(key), std::move(done));
  }
  if ((*owner)->down) {
    s.local_fallbacks.fetch_add(1, std::memory_order_relaxed);
    return s.LoadHere(std::move(key), std::move(done));
  }
  s.Forward(std::move(key), *owner, std::move(done));
}

Status Cluster::SetPeers(std::vector<std::string> peers) {
  State& s = *state_;
  const ListSource source = s.options.membership.source;
  if (source == ListSource::kFile || source == ListSource::kDns) {
    return Status::InvalidArgument("the peer list comes from " +
                                   std::string(ListSourceName(source)) + " " +
                                   s.options.membership.source_name);
  }
  if (Status st = CheckPeers(s.options.self, peers, s.has_memory); !st.ok()) return st;
  if (Status st = CheckLoopbackWithoutSecret(s.options, peers); !st.ok()) return st;
  return s.sync->Propose(std::move(peers));
}

std::vector<PeerInfo> Cluster::Peers() const {
  std::shared_ptr<const Membership> m = state_->membership.load();
  std::vector<PeerInfo> out;
  for (const auto& peer : m->peers) out.push_back({peer->address, peer->self, !peer->down});
  return out;
}

ClusterView Cluster::View() const {
  const State& s = *state_;
  std::shared_ptr<const Membership> m = s.membership.load();
  ClusterView v;
  v.self = s.options.self;
  v.member = m->self_index != HashRing::kNoOwner;
  v.source = s.options.membership.source;
  v.source_name = s.options.membership.source_name;
  v.version = s.sync->Current().version;
  const std::vector<double> shares = m->ring.Shares();
  for (size_t i = 0; i < m->peers.size(); ++i) {
    const Peer& p = *m->peers[i];
    const char* state = p.down ? "down" : (p.checking ? "suspect" : "up");
    v.members.push_back({p.address, p.self, state, shares[i], s.sync->Reported(p.address)});
  }
  return v;
}

const std::string& Cluster::self() const { return state_->options.self; }

void Cluster::Purge(const PurgeTarget& target, std::function<void(PurgeSummary)> done) {
  State& s = *state_;
  auto gather = std::make_shared<PurgeGather>();
  gather->done = std::move(done);
  // Stamped (and this node's floors raised) before anything is purged anywhere.
  const PurgeTarget stamped = s.purge->Originate(target);
  std::shared_ptr<const Membership> m = s.membership.load();
  std::vector<std::shared_ptr<Peer>> others;
  for (const auto& peer : m->peers) {
    if (!peer->self) others.push_back(peer);
  }
  {
    MutexLock lock(gather->mu);
    gather->pending = others.size() + 1;  // + this node
  }
  for (const auto& peer : others) {
    peer->client->Purge(stamped, s.options.peer_timeout,
                        [gather, node = peer->address, purge = s.purge](const Result<uint64_t>& r) {
                          // It missed this purge: catch it up when it answers again.
                          if (!r.ok()) purge->SyncWith(node);
                          gather->Add(node, r);
                        });
  }
  cache::ReadThrough* rt = s.read_through.load();
  gather->Add(s.options.self, rt != nullptr ? s.local_purge(*rt, stamped)
                                            : Result<uint64_t>(Status::Unavailable("not started")));
}

ClusterStats Cluster::Stats() const {
  const State& s = *state_;
  ClusterStats st;
  st.peer_gets = s.peer_gets.load(std::memory_order_relaxed);
  st.peer_errors = s.peer_errors.load(std::memory_order_relaxed);
  st.local_fallbacks = s.local_fallbacks.load(std::memory_order_relaxed);
  st.hot_admissions = s.hot_admissions.load(std::memory_order_relaxed);
  st.served_gets = s.served_gets.load(std::memory_order_relaxed);
  st.served_purges = s.served_purges.load(std::memory_order_relaxed);
  st.ring_changes = s.ring_changes.load(std::memory_order_relaxed);
  st.copies_refused = s.copies_refused.load(std::memory_order_relaxed);
  st.purge_behind = s.get_server->purge_behind.load(std::memory_order_relaxed);
  st.deadline_refused = s.get_server->deadline_refused.load(std::memory_order_relaxed);
  st.late_dropped = s.get_server->late_dropped.load(std::memory_order_relaxed);
  st.handover_hits = s.handover_hits.load(std::memory_order_relaxed);
  st.handover_misses = s.handover_misses.load(std::memory_order_relaxed);
  const PurgeCoordinatorStats p = s.purge->Stats();
  st.purge_duplicates = p.duplicates;
  st.purge_syncs = p.syncs;
  st.purge_flushes = p.flushes;
  st.purge_resent = p.resent;
  const MemberList list = s.sync->Current();
  st.list_epoch = list.version.epoch;
  st.members = list.members.size();
  st.lists_adopted = s.sync->adopted();
  return st;
}

}  // namespace shoal::cluster
