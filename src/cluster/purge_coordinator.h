// PurgeCoordinator: the cluster side of purge sequencing (purge_sequencer.h): it stamps the
// purges this node begins, applies (or skips as duplicates) the ones peers send, and runs
// the PURGE_SYNC catch-up with a peer: when the peer comes back after being down, when a
// purge sent to it failed, and when a purge from it arrived after a gap in its counter.
//
// A catch-up (SyncWith) asks the peer for the purges it originated that this node missed,
// applies them (or flushes everything, when the peer's log no longer reaches back), and then
// sends the peer this node's own logged purges it has not applied (the peer flushes itself
// when this node's log cannot cover its gap). A failed sync is retried every `retry` while
// the peer is still one (Hooks::client_for).
//
// Ownership: made shared (timers hold it weakly); the Hooks' targets must outlive it or be
// reached weakly by the hooks. Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "cluster/messages.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_sequencer.h"

namespace shoal::cluster {

struct PurgeCoordinatorStats {
  uint64_t duplicates = 0;  // stamped purges received again, skipped
  uint64_t syncs = 0;       // PURGE_SYNC exchanges completed (as the caller)
  uint64_t flushes = 0;     // whole-cache flushes because a log did not reach back
  uint64_t resent = 0;      // logged purges sent again to a peer that missed them
};

// PurgeSummary is what a cluster-wide purge did.
struct PurgeSummary {
  uint64_t removed = 0;             // entries removed, all nodes together
  size_t nodes = 0;                 // nodes that answered (this one included)
  std::vector<std::string> failed;  // "host:port: reason" of each node that did not
};

// PurgeGather sums the answers of a purge's fan-out and calls `done` once, after the last.
struct PurgeGather {
  Mutex mu;
  PurgeSummary summary SHOAL_GUARDED_BY(mu);
  size_t pending SHOAL_GUARDED_BY(mu) = 0;
  std::function<void(PurgeSummary)> done;

  void Add(const std::string& node, const Result<uint64_t>& r) {
    PurgeSummary finished;
    {
      MutexLock lock(mu);
      if (r.ok()) {
        summary.removed += *r;
        ++summary.nodes;
      } else {
        summary.failed.push_back(node + ": " + std::string(r.status().message()));
      }
      if (--pending != 0) return;
      finished = std::move(summary);
    }
    done(std::move(finished));
  }
};

class PurgeCoordinator : public std::enable_shared_from_this<PurgeCoordinator> {
 public:
  struct Hooks {
    // Removes a target from this node's caches (kAll: everything).
    std::function<Result<uint64_t>(const PurgeTarget&)> apply_local;
    // The purge group of an endpoint's route, when known (ClusterOptions::group_of_route).
    std::function<std::optional<uint32_t>(std::string_view route)> group_of_route;
    // The client of a current peer, or null (not a peer now, or the Cluster stopped).
    std::function<std::shared_ptr<PeerClient>(std::string_view address)> client_for;
    // Runs `fn` after `delay` (the transport's timers).
    std::function<void(Duration, std::function<void()>)> after;
  };

  PurgeCoordinator(PurgeSequencerOptions options, Hooks hooks, Duration timeout, Duration retry,
                   Log log);

  PurgeSequencer& sequencer() { return sequencer_; }
  const PurgeSequencer& sequencer() const { return sequencer_; }

  // Originate stamps a purge this node begins (raising its floors first).
  PurgeTarget Originate(const PurgeTarget& target);
  // Receive applies a peer's purge here unless it is a duplicate (then 0 removed); a gap in
  // its origin's counter starts a catch-up with the origin.
  Result<uint64_t> Receive(const PurgeTarget& target);
  // ServeSync answers a peer's PURGE_SYNC (flushing here first when its log cannot cover
  // what this node missed from it).
  Result<SyncReply> ServeSync(const SyncRequest& request);
  // SyncWith starts a catch-up with `peer` unless one is running; retried until it succeeds.
  void SyncWith(const std::string& peer);

  PurgeCoordinatorStats Stats() const;

 private:
  std::optional<uint32_t> GroupOf(const PurgeTarget& target) const;
  void Flush();
  void SyncDone(const std::string& peer, const std::shared_ptr<PeerClient>& client,
                Result<SyncReply> reply);
  void Retry(const std::string& peer);

  PurgeSequencer sequencer_;
  const Hooks hooks_;
  const Duration timeout_, retry_;
  const Log log_;
  Mutex mu_;
  std::set<std::string, std::less<>> running_ SHOAL_GUARDED_BY(mu_);  // syncs in flight
  std::atomic<uint64_t> duplicates_{0}, syncs_{0}, flushes_{0}, resent_{0};
};

}  // namespace shoal::cluster
