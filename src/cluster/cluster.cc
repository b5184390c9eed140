// Cluster: membership snapshots, the routing decisions, peer health, hot admission, purge
// fan-out, and the PeerService other nodes reach through the transport (peer_transport.h).
// Nothing here knows the wire: the transport carries GET / PURGE / PURGE_SYNC / PING and runs
// the timers. Purge sequencing lives in purge_coordinator.cc, the serving of peers' GETs in
// peer_get.cc, handover asks in handover.cc; this file holds their hooks.
#include "cluster/cluster.h"

#include <atomic>
#include <utility>

#include "base/host_port.h"
#include "base/log_escape.h"
#include "base/mutex.h"
#include "cluster/handover.h"
#include "cluster/hash_ring.h"
#include "cluster/hot_admission.h"
#include "cluster/membership_sync.h"
#include "cluster/peer_get.h"
#include "cluster/peer_reply.h"
#include "cluster/purge_coordinator.h"
#include "cluster/rpc_transport.h"

namespace shoal::cluster {
namespace {

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

// CheckLoopbackWithoutSecret: with no secret and no TLS (and not insecure), every peer and the
// peer port's host must be on loopback (H3 of the security review: an unauthenticated peer
// port serves purges and reads to whoever reaches it). Mutual TLS authenticates on its own.
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

// Peer is one owner node as this node sees it.
struct Peer {
  std::string address;
  bool self = false;
  std::shared_ptr<PeerClient> client;  // null for self
  std::atomic<bool> down{false};
  std::atomic<bool> checking{false};  // a PING is asking whether a slow peer is alive
  std::atomic<bool> retired{false};   // left the peer list; its client is closed
};

// Membership is one immutable snapshot of the peer list and its ring.
struct Membership {
  explicit Membership(std::vector<std::string> names, size_t points)
      : ring(std::move(names), points) {}
  HashRing ring;
  std::vector<std::shared_ptr<Peer>> peers;  // by ring node index
  size_t self_index = HashRing::kNoOwner;
  // The ring before the last change (Cluster::State::KeepPrevious) and when it changed.
  std::shared_ptr<const HashRing> previous_ring;
  TimePoint changed;

  // PreviousOwner: the key's owner under the previous ring, if it is another node, still a
  // peer and up; else null.
  std::shared_ptr<Peer> PreviousOwner(std::string_view key) const {
    if (!previous_ring || previous_ring->empty()) return nullptr;
    const std::optional<size_t> i = ring.IndexOf(previous_ring->Owner(key));
    if (!i || peers[*i]->self || peers[*i]->down || peers[*i]->retired) return nullptr;
    return peers[*i];
  }

  // Owner returns the key's owner, or null when the ring is empty.
  const std::shared_ptr<Peer>* Owner(std::string_view key) const {
    const size_t i = ring.OwnerIndex(key);
    return i == HashRing::kNoOwner ? nullptr : &peers[i];
  }
};

}  // namespace

// MembershipSlot holds the current membership snapshot. A mutex, not
// std::atomic<std::shared_ptr>: libstdc++ 12 builds that on a lock bit inside the control
// pointer that ThreadSanitizer cannot see, so every SetPeers under load was reported as a
// data race (and TSan stopped the node). The critical section is one reference-count
// increment, taken once per miss and never on a hit.
class MembershipSlot {
 public:
  std::shared_ptr<const Membership> load() const SHOAL_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return current_;
  }
  // store swaps in `next`; the old snapshot is released after the lock, by the caller's copy.
  void store(std::shared_ptr<const Membership> next) SHOAL_EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      current_.swap(next);
    }
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const Membership> current_ SHOAL_GUARDED_BY(mu_);
};

struct Cluster::State final : PeerService, std::enable_shared_from_this<State> {
  State(ClusterOptions o, std::unique_ptr<PeerTransport> owned, PeerTransport& t, cache::Loader& in,
        const Clock& c, LocalPurge lp)
      : options(std::move(o)),
        owned_transport(std::move(owned)),
        transport(t),
        inner(in),
        clock(c),
        local_purge(std::move(lp)),
        log(options.logger, "cluster"),
        hot({.enabled = options.hot_cache,
             .min_hits = options.hot_min_hits,
             .expected_keys = options.hot_expected_keys}) {}

  const ClusterOptions options;
  const std::unique_ptr<PeerTransport> owned_transport;  // the rpc one, or null when borrowed
  PeerTransport& transport;
  cache::Loader& inner;
  const Clock& clock;
  const LocalPurge local_purge;
  const Log log;
  // What peers send can repeat per request (a malformed reply, an owner's error): a few
  // lines per 10 s, the rest counted.
  LogLimiter fault_log{std::chrono::seconds(10), 5};
  bool has_memory = true;  // set by the constructor from the peer list

  MembershipSlot membership;
  std::shared_ptr<MembershipSync> sync;  // the list's version and its spreading
  Mutex set_mu;                          // serialises Apply and Stop
  bool stopped SHOAL_GUARDED_BY(set_mu) = false;
  // Peers that left the list, their clients not closed yet (CloseRetired).
  std::vector<std::shared_ptr<Peer>> retiring SHOAL_GUARDED_BY(set_mu);
  std::atomic<bool> stopping{false};

  HotAdmission hot;  // counts owners' answers; says which to keep (hot_admission.h)
  std::atomic<cache::ReadThrough*> read_through{nullptr};

  std::atomic<uint64_t> peer_gets{0}, peer_errors{0}, local_fallbacks{0}, hot_admissions{0},
      served_gets{0}, served_purges{0}, ring_changes{0}, copies_refused{0}, handover_hits{0},
      handover_misses{0};
  std::shared_ptr<PurgeCoordinator> purge;    // made by Init (it needs weak_from_this)
  std::shared_ptr<PeerGetServer> get_server;  // made by Init, with `purge`

  std::shared_ptr<Peer> MakePeer(const std::string& address) const {
    auto peer = std::make_shared<Peer>();
    peer->address = address;
    peer->self = address == options.self;
    if (!peer->self) peer->client = transport.Connect(address);  // checked before
    return peer;
  }

  // Build makes the snapshot for `names`, reusing the peers of `old` that stay.
  std::shared_ptr<const Membership> Build(std::vector<std::string> names,
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

  // KeepPrevious sets the list before this one, for handovers: `old`'s (or, when the list did
  // not change, what `old` kept); at start, the list without this node (it joins: its keys
  // were the others' before, or were loaded by them while it was down).
  void KeepPrevious(Membership& m, const Membership* old) const {
    if (old != nullptr && old->ring.nodes() == m.ring.nodes()) {
      m.previous_ring = old->previous_ring;
      m.changed = old->changed;
      return;
    }
    std::vector<std::string> before = old != nullptr ? old->ring.nodes() : m.ring.nodes();
    if (old == nullptr) std::erase(before, options.self);
    m.changed = clock.Now();
    if (!before.empty()) {
      m.previous_ring = std::make_shared<const HashRing>(std::move(before), options.ring_points);
    }
  }

  // LoadHere loads from this node's store; the entry records the purge sequence seen when the
  // load began (its fill sequence, purge_sequencer.h), and the load's time feeds load_time.
  void LoadHere(std::string key, cache::LoadCallback done) {
    const uint64_t fill = purge->sequencer().MaxSeen();
    inner.Load(std::move(key), cache::Scope::kLocal,
               [self = shared_from_this(), fill, start = clock.Now(), done = std::move(done)](
                   Result<cache::EntryPtr> r, cache::Keep keep) {
                 self->get_server->load_time().Add(self->clock.Now() - start);
                 if (r.ok()) r = WithFillSeq(*r, fill);
                 done(std::move(r), keep);
               });
  }

  // LoadOwned loads a key this node owns: first from its previous owner's memory (a
  // handover, while the peer list changed recently), else from the store.
  void LoadOwned(std::string key, const Membership& m, cache::LoadCallback done) {
    std::shared_ptr<Peer> prev;
    if (options.handover && clock.Now() - m.changed < options.max_peer_ttl) {
      prev = m.PreviousOwner(key);
    }
    if (!prev || key.size() > kMaxKey) return LoadHere(std::move(key), std::move(done));
    const HandoverAsk ask{options.peer_timeout, LimitsFor(key), inner.GroupOf(key)};
    std::shared_ptr<State> self = shared_from_this();
    AskForHandover(
        *prev->client, key, ask, clock, purge,
        [self, done](cache::EntryPtr e) {
          self->handover_hits.fetch_add(1, std::memory_order_relaxed);
          done(std::move(e), cache::Keep::kMain);
        },
        [self, key, done] {
          self->handover_misses.fetch_add(1, std::memory_order_relaxed);
          self->LoadHere(key, done);
        });
  }

  // ClientFor: the client of a current peer (not this node), or null.
  std::shared_ptr<PeerClient> ClientFor(std::string_view address) const {
    if (stopping) return nullptr;
    std::shared_ptr<const Membership> m = membership.load();
    for (const auto& peer : m->peers) {
      if (peer->address == address && !peer->self && !peer->retired) return peer->client;
    }
    return nullptr;
  }

  void MarkDown(const std::shared_ptr<Peer>& peer, const Status& why) {
    if (peer->down.exchange(true)) return;
    log.Warn("peer " + peer->address + " down (" + std::string(why.message()) +
             "); loading its keys here until it answers");
    Probe(peer);
  }

  // Probe pings a down peer every probe_interval until it answers. The timer holds the peer
  // weakly: a peer that left the list (or a Cluster that is gone) ends the probing.
  void Probe(const std::shared_ptr<Peer>& peer) {
    std::weak_ptr<State> weak = weak_from_this();
    std::weak_ptr<Peer> weak_peer = peer;
    transport.After(options.probe_interval, [weak, weak_peer] {
      std::shared_ptr<State> s = weak.lock();
      std::shared_ptr<Peer> p = weak_peer.lock();
      if (!s || !p || s->stopping || p->retired) return;
      p->client->Ping(s->options.peer_timeout, [weak, weak_peer](const Status& status) {
        std::shared_ptr<State> st = weak.lock();
        std::shared_ptr<Peer> pr = weak_peer.lock();
        if (!st || !pr || st->stopping || pr->retired) return;
        if (!status.ok()) return st->Probe(pr);
        if (pr->down.exchange(false)) {
          st->log.Info("peer " + pr->address + " up again");
          st->sync->Exchange(pr->address);  // settle lists first thing after a reconnect
          st->purge->SyncWith(pr->address);  // the purges either side missed meanwhile
        }
      });
    });
  }

  // Suspect asks a peer whose call timed out whether it is alive: a peer that answers PING
  // is merely slow (its store, say) and stays up, so one slow query does not send every
  // node's share of its keys to every node's store; one that does not is marked down.
  void Suspect(const std::shared_ptr<Peer>& peer, const Status& why) {
    if (peer->down || peer->checking.exchange(true)) return;
    std::weak_ptr<State> weak = weak_from_this();
    peer->client->Ping(options.peer_timeout, [weak, peer, why](const Status& status) {
      peer->checking = false;
      std::shared_ptr<State> s = weak.lock();
      if (!s || s->stopping || peer->retired || status.ok()) return;
      s->MarkDown(peer, why);
    });
  }

  void Forward(std::string key, const std::shared_ptr<Peer>& peer, cache::LoadCallback done) {
    peer_gets.fetch_add(1, std::memory_order_relaxed);
    std::weak_ptr<State> weak = weak_from_this();
    std::string sent = key;
    const GetOptions get{options.peer_timeout, purge->sequencer().KeyFloor(key)};
    peer->client->Get(
        std::move(sent), get,
        [weak, peer, key = std::move(key), done = std::move(done)](GetReply r) mutable {
          std::shared_ptr<State> s = weak.lock();
          if (!s) return done(Status::Cancelled("shutting down"), cache::Keep::kNone);
          s->Answered(std::move(key), peer, std::move(r), std::move(done));
        });
  }

  // LimitsFor: how long an owner's entry of `key` may live here (peer_reply.h).
  PeerLimits LimitsFor(std::string_view key) const {
    std::optional<Duration> ttl;
    if (options.peer_ttl) ttl = options.peer_ttl(key);
    return PeerLimits{ttl.value_or(options.max_peer_ttl), options.peer_grace};
  }

  void Answered(std::string key, const std::shared_ptr<Peer>& peer, GetReply reply,
                cache::LoadCallback done) {
    if (reply.entry.ok()) {
      const cache::EntryPtr sent = *reply.entry;
      reply.entry = CheckPeerEntry(sent, clock.Now(), LimitsFor(key));
      if (!reply.entry.ok()) {
        fault_log.Write(log, LogLevel::kWarn,
                        "peer " + peer->address + " sent a malformed reply for " +
                            EscapeForLog(key) + " (ETag " + EscapeForLog(sent->etag()) +
                            "); loading the key here");
      }
    }
    if (reply.entry.ok()) {
      cache::Keep keep = cache::Keep::kNone;
      if (hot.Admit(key)) {
        // Not an answer older than a purge applied here (the owner had not applied it yet).
        if (purge->sequencer().MayKeep(**reply.entry, inner.GroupOf(key))) {
          keep = cache::Keep::kHot;
          hot_admissions.fetch_add(1, std::memory_order_relaxed);
        } else {
          copies_refused.fetch_add(1, std::memory_order_relaxed);
        }
      }
      return done(std::move(reply.entry), keep);
    }
    // The owner's own answer (its store failed): pass it on, in our words; its text is logged
    // (escaped, rate-limited), never shown to the caller.
    if (reply.owner_error) {
      fault_log.Write(log, LogLevel::kWarn,
                      "peer " + peer->address + " could not load " + EscapeForLog(key) + ": " +
                          std::string(StatusCodeName(reply.entry.status().code())) + ": " +
                          EscapeForLog(reply.entry.status().message()));
      return done(OwnerErrorForCaller(reply.entry.status()), cache::Keep::kNone);
    }
    const Status failure = reply.entry.status();
    peer_errors.fetch_add(1, std::memory_order_relaxed);
    local_fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (!stopping) {
      if (failure.code() == StatusCode::kDeadlineExceeded) {
        Suspect(peer, failure);
      } else {
        MarkDown(peer, failure);
      }
    }
    LoadHere(std::move(key), std::move(done));
  }

  // PeerService: other nodes' calls, answered from this node only (Scope::kLocal).
  void ServeGet(const GetRequest& request, ServeGetReply reply) override {
    served_gets.fetch_add(1, std::memory_order_relaxed);
    cache::ReadThrough* rt = read_through.load();
    if (rt == nullptr) return reply(Status::Unavailable("not started"), 0);
    get_server->Serve(*rt, request, std::move(reply));
  }

  MembersReply ServeMembers(const MembersRequest& request) override { return sync->Serve(request); }

  // MemberClient: the client of a current member, for MembershipSync (null for others).
  std::shared_ptr<PeerClient> MemberClient(const std::string& address) const {
    std::shared_ptr<const Membership> m = membership.load();
    auto i = m->ring.IndexOf(address);
    return i ? m->peers[*i]->client : nullptr;
  }

  // Apply swaps in the ring of `peers` (a list adopted or proposed); MembershipSync::apply.
  Status Apply(std::vector<std::string> peers);
  void CloseRetired();

  bool KnownCaller(std::string_view address) const override {
    if (address == options.self) return false;
    if (options.callers.empty()) return true;
    if (Contains(options.callers, address)) return true;
    std::shared_ptr<const Membership> m = membership.load();
    return m->ring.IndexOf(address).has_value();
  }

  Result<uint64_t> ServePurge(const PurgeTarget& target) override {
    served_purges.fetch_add(1, std::memory_order_relaxed);
    cache::ReadThrough* rt = read_through.load();
    if (rt == nullptr) return Status::Unavailable("not started");
    return purge->Receive(target);
  }

  Result<SyncReply> ServeSync(const SyncRequest& request) override {
    if (read_through.load() == nullptr) return Status::Unavailable("not started");
    return purge->ServeSync(request);
  }

  // MakePurge builds the coordinator; its hooks reach this State weakly.
  void MakePurge() {
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
};

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

bool Cluster::IsLocal(std::string_view key) const {
  std::shared_ptr<const Membership> m = state_->membership.load();
  const std::shared_ptr<Peer>* owner = m->Owner(key);
  return owner == nullptr || (*owner)->self;
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
