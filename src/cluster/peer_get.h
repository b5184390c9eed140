// PeerGetServer: how this node answers another node's GET (Cluster's PeerService::ServeGet),
// from this node only (Scope::kLocal: never forwarded again):
//   - the caller's key floor above this node's (purge_sequencer.h): this node missed a purge
//     of the key's slot: it drops its copy (a purge through the ReadThrough), raises its floor
//     and loads again (counted: purge_behind);
//   - memory only (a handover ask): a fresh entry held here, or NotFound; never a load;
//   - a hit: the entry, with the fill sequence to send (0 when a purge applied here since);
//   - a miss with a deadline below max(min_load_time, the running mean load time) and no load
//     of the key already running: DeadlineExceeded at once (deadline_refused);
//   - else the load (joined or started); a reply ready after the caller's deadline is dropped
//     unsent (late_dropped): the rpc server lets a call go unanswered, and the caller's own
//     timeout has answered it.
// Ownership: made shared (loads in flight hold it); borrows the Loader (GroupOf) and the
// Clock, which outlive it. Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "base/clock.h"
#include "cache/loader.h"
#include "cache/read_through.h"
#include "cluster/load_time.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_coordinator.h"

namespace shoal::cluster {

class PeerGetServer : public std::enable_shared_from_this<PeerGetServer> {
 public:
  PeerGetServer(const cache::Loader& inner, const Clock& clock,
                std::shared_ptr<PurgeCoordinator> purge, Duration min_load_time)
      : inner_(inner), clock_(clock), purge_(std::move(purge)), min_load_time_(min_load_time) {}

  void Serve(cache::ReadThrough& rt, const GetRequest& request, ServeGetReply reply);

  // The store loads' running mean (Cluster feeds it from its local loads).
  LoadTimeEstimate& load_time() { return load_time_; }

  std::atomic<uint64_t> purge_behind{0}, deadline_refused{0}, late_dropped{0};

 private:
  const cache::Loader& inner_;
  const Clock& clock_;
  const std::shared_ptr<PurgeCoordinator> purge_;
  const Duration min_load_time_;
  LoadTimeEstimate load_time_;
};

}  // namespace shoal::cluster
