// PurgeSequencer: the order of purges across the cluster, so that no node keeps an answer a
// purge has removed (issue 15, item 3).
//
// Every purge gets a stamp (messages.h PurgeStamp): a Lamport sequence (the origin takes its
// max-seen + 1; every node raises its max-seen on every stamp, GET floor and sync it sees),
// the origin's address and incarnation (random per process start) and a per-origin counter n
// (1, 2, 3... per incarnation) that tells a node which of an origin's purges it has applied.
//
// Each node keeps floors: the highest sequence of a purge applied here per key slot (a fixed
// table indexed by KeyedHash: two keys that share a slot only make each other conservative),
// per purge group slot (an endpoint), per tag slot (a tag purge raises the slot of each of its
// tags; an entry's floor takes the slots of all its tags) and for the whole cache. An entry records
// the max-seen of the node that loaded it when the load began (cache::Entry::fill_seq). A copy of
// another node's entry (a hot copy, a handover) is kept only if its fill sequence is not below this
// node's floor for the key (Floor): an owner that has not yet applied a purge this node has
// applied answers with an older fill sequence, and that answer is served once but not kept.
//
// Catch-up: each node keeps a log of the last `log_capacity` purges it originated and, per
// origin (address + incarnation), the highest contiguous n it applied. A PURGE_SYNC exchange
// (SyncRequest/SyncReply) tells a peer what this node applied from it and which of this
// node's own purges its log still holds; the peer answers with its purges this node missed,
// or with `flush` when its log no longer reaches back that far, and says what it applied
// from this node so that this node can send it the ones it missed (Cluster does the calls).
//
// Known limit (Lamport, not vector clocks): a fill sequence says what its node had *seen*,
// not that it applied every lower purge. An owner that saw a higher sequence from origin Y
// but missed origin X's purge of the same key could have its stale copy kept. The GET
// request closes most of that hole: it carries the caller's key-slot floor, and an owner
// whose own floor for the slot is lower drops its copy and loads again (Cluster::ServeGet).
//
// Thread-safety: thread-safe (one mutex; max-seen is also an atomic read lock-free by loads).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "cache/entry.h"
#include "cluster/messages.h"

namespace shoal::cluster {

struct PurgeSequencerOptions {
  std::string self;            // this node's address (the origin of its stamps)
  uint64_t incarnation = 0;    // 0: a random one
  size_t log_capacity = 4096;  // purges this node originated, kept for catch-up
  size_t key_slots = 65536;
  size_t group_slots = 1024;
  size_t tag_slots = 65536;
};

// Receipt says what a node should do with a stamped purge it received.
struct Receipt {
  bool apply = false;  // false: a duplicate (already applied)
  bool gap = false;    // an earlier purge of the same origin has not arrived: sync with it
};

// WithFillSeq returns `entry` with fill sequence `seq` (a copy sharing the body).
cache::EntryPtr WithFillSeq(const cache::EntryPtr& entry, uint64_t seq);

class PurgeSequencer {
 public:
  explicit PurgeSequencer(PurgeSequencerOptions options);

  uint64_t incarnation() const { return options_.incarnation; }
  // MaxSeen: the fill sequence of a load that begins now.
  uint64_t MaxSeen() const { return max_seen_.load(std::memory_order_acquire); }
  // Observe raises max-seen to `seq` (a stamp, a GET floor, a sync).
  void Observe(uint64_t seq);

  // Originate stamps a purge this node begins, raises its floors (before the caches are
  // purged, so that a fill begun earlier is not kept) and logs it. `group`: the endpoint
  // purge's group when known (else an endpoint purge raises the whole-cache floor).
  PurgeTarget Originate(PurgeTarget target, std::optional<uint32_t> group);
  // Receive records a stamped purge from another node and raises the floors when it is new.
  // An unstamped one (an older peer) only raises the floors.
  Receipt Receive(const PurgeTarget& target, std::optional<uint32_t> group);

  // Floor is the highest purge sequence applied here that covers `key` (group: its purge
  // group). A peer's copy with fill_seq below it must not be kept.
  uint64_t Floor(std::string_view key, uint32_t group) const;
  // KeyFloor is the key slot's floor alone (what a GET tells the owner).
  uint64_t KeyFloor(std::string_view key) const;
  // RaiseKeyFloor raises the key slot's floor (an owner that learnt from a GET that it
  // missed a purge of the key).
  void RaiseKeyFloor(std::string_view key, uint64_t seq);

  // MayKeep: whether a peer's entry (a hot copy, a handover) may be kept here: its fill
  // sequence is not below this node's floor for its key and for each of its tags (a tag
  // purge applied here after the owner's load began), and it is not no_store.
  bool MayKeep(const cache::Entry& entry, uint32_t group) const;
  // FillToSend: the fill sequence to send with this node's entry: its own, or 0 when a purge
  // applied here since its load began (so that no receiver keeps it).
  uint64_t FillToSend(const cache::Entry& entry, uint32_t group) const {
    return MayKeep(entry, group) ? entry.fill_seq() : 0;
  }

  // Sync: this node (the caller) asks `peer`.
  SyncRequest MakeSyncRequest(const std::string& peer) const;
  // AnswerSync: what the peer that sent `request` missed from this node (or flush), and
  // what this node applied from it. Sets *flush_here when this node must flush because the
  // caller's log no longer reaches back to what this node applied from it; the floors are
  // then raised and the caller counted as applied through its last n.
  SyncReply AnswerSync(const SyncRequest& request, bool* flush_here);
  // TakeSyncReply applies the bookkeeping of `reply` from `peer` (the purges in it go
  // through Receive one by one; Cluster applies them). Returns whether this node must flush.
  bool TakeSyncReply(const std::string& peer, const SyncReply& reply);
  // LoggedAfter: the purges this node originated with n > `applied` (what a peer that
  // applied through `applied` of this incarnation missed); empty when the log does not reach
  // back (the peer flushed itself when it answered the sync).
  std::vector<PurgeTarget> LoggedAfter(uint64_t applied) const;

 private:
  struct Origin {
    uint64_t incarnation = 0;
    uint64_t applied = 0;      // contiguous
    std::set<uint64_t> ahead;  // applied beyond a gap
  };
  void RaiseLocked(const PurgeTarget& target, std::optional<uint32_t> group) SHOAL_REQUIRES(mu_);
  void RaiseAllLocked(uint64_t seq) SHOAL_REQUIRES(mu_);

  PurgeSequencerOptions options_;
  std::atomic<uint64_t> max_seen_{0};
  mutable Mutex mu_;
  uint64_t next_n_ SHOAL_GUARDED_BY(mu_) = 0;
  std::deque<PurgeTarget> log_ SHOAL_GUARDED_BY(mu_);
  std::vector<uint64_t> key_floor_ SHOAL_GUARDED_BY(mu_);
  std::vector<uint64_t> group_floor_ SHOAL_GUARDED_BY(mu_);
  std::vector<uint64_t> tag_floor_ SHOAL_GUARDED_BY(mu_);
  uint64_t whole_floor_ SHOAL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Origin, std::less<>> origins_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::cluster
