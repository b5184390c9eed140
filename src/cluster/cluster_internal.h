// The insides of Cluster, shared by cluster.cc (the public methods), cluster_routing.cc (the
// miss path and peer health), cluster_members.cc (snapshots and list changes) and
// cluster_service.cc (the PeerService other nodes call, and the purge hooks). Internal to
// src/cluster; nothing outside includes it.
//
// Pieces:
//   - Peer: one owner node as this node sees it (its client, down/suspect/retired flags).
//   - Membership: one immutable snapshot of the peer list, its ring, the ring before the last
//     change (for handovers) and that change's handover streak (handover.h).
//   - MembershipSlot: the current snapshot, swapped whole on a list change.
//   - Cluster::State: everything a Cluster holds; made shared so that timers and callbacks can
//     reach it weakly after the Cluster is gone.
//
// Ownership: State owns the snapshots (and through them the peers and their clients), the
// PurgeCoordinator, the PeerGetServer and the MembershipSync; it borrows the inner Loader, the
// Clock, the PeerTransport (unless it owns the rpc one) and the ReadThrough given to Start.
// Thread-safety: a snapshot is immutable once stored (its Peers' flags are atomics); State's
// methods may run on any thread; `set_mu` serialises Apply, CloseRetired and Stop.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/logger.h"
#include "base/mutex.h"
#include "cluster/cluster.h"
#include "cluster/handover.h"
#include "cluster/hash_ring.h"
#include "cluster/hot_admission.h"
#include "cluster/membership_sync.h"
#include "cluster/peer_get.h"
#include "cluster/peer_reply.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_coordinator.h"

namespace shoal::cluster {

namespace cluster_internal {

// Peer is one owner node as this node sees it.
struct Peer {
  std::string address;
  std::string_view interned;  // `address`, interned (base/interned.h): Cluster::OwnerOf
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
  // The handover asks of that change that found nothing in a row (handover.h); shared by
  // the snapshots of one list; never null.
  std::shared_ptr<HandoverStreak> handover_streak;

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

}  // namespace cluster_internal

struct Cluster::State final : PeerService, std::enable_shared_from_this<State> {
  using Peer = cluster_internal::Peer;
  using Membership = cluster_internal::Membership;

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

  cluster_internal::MembershipSlot membership;
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

  // ---- snapshots and list changes (cluster_members.cc) ----
  std::shared_ptr<Peer> MakePeer(const std::string& address) const;
  // Build makes the snapshot for `names`, reusing the peers of `old` that stay.
  std::shared_ptr<const Membership> Build(std::vector<std::string> names,
                                          const Membership* old) const;
  // KeepPrevious sets the list before this one, for handovers: `old`'s (or, when the list did
  // not change, what `old` kept, with its handover streak); at start, the list without this
  // node (it joins: its keys were the others' before, or were loaded by them while it was
  // down). A change starts a new handover streak.
  void KeepPrevious(Membership& m, const Membership* old) const;
  // Apply swaps in the ring of `peers` (a list adopted or proposed); MembershipSync::apply.
  Status Apply(std::vector<std::string> peers);
  // CloseRetired closes the clients of peers that left (MembershipSync::settled).
  void CloseRetired();
  // MemberClient: the client of a current member, for MembershipSync (null for others).
  std::shared_ptr<PeerClient> MemberClient(const std::string& address) const;
  // ClientFor: the client of a current peer (not this node), or null.
  std::shared_ptr<PeerClient> ClientFor(std::string_view address) const;

  // ---- the miss path and peer health (cluster_routing.cc) ----
  // LoadHere loads from this node's store; the entry records the purge sequence seen when the
  // load began (its fill sequence, purge_sequencer.h), and the load's time feeds load_time.
  void LoadHere(std::string key, cache::LoadCallback done);
  // LoadOwned loads a key this node owns: first from its previous owner's memory (a
  // handover, while the peer list changed recently and the change's asks have not found
  // nothing kHandoverMissesToEnd times in a row), else from the store.
  void LoadOwned(std::string key, const Membership& m, cache::LoadCallback done);
  void Forward(std::string key, const std::shared_ptr<Peer>& peer, cache::LoadCallback done);
  void Answered(std::string key, const std::shared_ptr<Peer>& peer, GetReply reply,
                cache::LoadCallback done);
  // LimitsFor: how long an owner's entry of `key` may live here (peer_reply.h).
  PeerLimits LimitsFor(std::string_view key) const;
  void MarkDown(const std::shared_ptr<Peer>& peer, const Status& why);
  // Probe pings a down peer every probe_interval until it answers. The timer holds the peer
  // weakly: a peer that left the list (or a Cluster that is gone) ends the probing.
  void Probe(const std::shared_ptr<Peer>& peer);
  // Suspect asks a peer whose call timed out whether it is alive: a peer that answers PING
  // is merely slow (its store, say) and stays up, so one slow query does not send every
  // node's share of its keys to every node's store; one that does not is marked down.
  void Suspect(const std::shared_ptr<Peer>& peer, const Status& why);

  // ---- PeerService: other nodes' calls, answered from this node only (cluster_service.cc) --
  void ServeGet(const GetRequest& request, ServeGetReply reply) override;
  MembersReply ServeMembers(const MembersRequest& request) override;
  bool KnownCaller(std::string_view address) const override;
  Result<uint64_t> ServePurge(const PurgeTarget& target) override;
  Result<SyncReply> ServeSync(const SyncRequest& request) override;
  // MakePurge builds the coordinator (and the GET server); its hooks reach this State weakly.
  void MakePurge();
};

}  // namespace shoal::cluster
