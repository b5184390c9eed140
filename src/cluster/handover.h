// Handover (issue 15, item 4): when the peer list has just changed and this node now owns a
// key it does not hold, it first asks the key's owner under the previous list (Cluster picks
// it: another node, still up and still a peer) for its entry, from memory only (a GET with
// GetOptions::memory_only: the peer never loads, never forwards), within the peer deadline.
// A usable answer (well-formed, clamped like any peer's answer, not older than a purge
// applied here: purge_sequencer.h) is kept in the main cache; anything else (not held, a
// failure, a timeout) falls through to this node's store, as without handover.
// Thread-safety: a function; its callbacks run once, on any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "cache/entry.h"
#include "cluster/peer_reply.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_coordinator.h"

namespace shoal::cluster {

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
