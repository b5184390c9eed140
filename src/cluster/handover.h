// Handover (issue 15, item 4): when the peer list has just changed and this node now owns a
// key it does not hold, it first asks the key's owner under the previous list (Cluster picks
// it: another node, still up and still a peer) for its entry, from memory only (a GET with
// GetOptions::memory_only: the peer never loads, never forwards), within the peer deadline.
// A usable answer (well-formed, clamped like any peer's answer, not older than a purge
// applied here: purge_sequencer.h) is kept in the main cache; anything else (not held, a
// failure, a timeout) falls through to this node's store, as without handover.
//
// The cut-off (HandoverStreak): after a cold start of a whole cluster no node holds anything,
// and for max_peer_ttl (up to 24 h) every cold miss of a key owned here would cost a peer
// round trip that finds nothing. So each list change counts its asks that found nothing in
// a row; a hit resets the count; after kHandoverMissesToEnd of them, the handover from that
// list ends (Cluster logs it once, at info). The next list change asks again.
// Thread-safety: AskForHandover is a function, its callbacks run once, on any thread;
// HandoverStreak is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "cache/entry.h"
#include "cluster/peer_reply.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_coordinator.h"

namespace shoal::cluster {

// kHandoverMissesToEnd: asks in a row that found nothing after which a list change's handover
// ends. A node that joins or restarts in a warm cluster finds the keys asked for meanwhile held
// by the nodes that loaded them, so its asks mix hits in and a popular key soon resets the
// count; 64 empty asks in a row mean nobody holds much (a cold cluster), which then pays 64
// wasted round trips per node and list change instead of one per cold miss for a day.
inline constexpr uint32_t kHandoverMissesToEnd = 64;

// HandoverStreak: one list change's count of asks in a row that found nothing. "In a row" is
// in the order the answers arrive; an ask already in flight when the handover ends still
// finishes (and a hit then does not restart it).
class HandoverStreak {
 public:
  // asking: the handover from this list has not ended.
  bool asking() const { return !ended_.load(std::memory_order_relaxed); }
  void Hit() { misses_.store(0, std::memory_order_relaxed); }
  // Miss counts an ask that found nothing; true exactly once: for the one that ends it.
  bool Miss() {
    if (misses_.fetch_add(1, std::memory_order_relaxed) + 1 < kHandoverMissesToEnd) return false;
    return !ended_.exchange(true, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint32_t> misses_{0};
  std::atomic<bool> ended_{false};
};

struct HandoverAsk {
  Duration timeout;
  PeerLimits limits;   // the key's clamps (peer_reply.h)
  uint32_t group = 0;  // the key's purge group
};

// AskForHandover asks `previous_owner` for `key`; calls `hit` with a usable entry, else
// `miss`. `purge` and `clock` must outlive the call (the caller holds `purge`).
void AskForHandover(PeerClient& previous_owner, std::string key, const HandoverAsk& ask,
                    const Clock& clock, std::shared_ptr<PurgeCoordinator> purge,
                    std::function<void(cache::EntryPtr)> hit, std::function<void()> miss);

}  // namespace shoal::cluster
