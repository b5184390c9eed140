#include "cluster/purge_coordinator.h"

#include <utility>
#include <vector>

namespace shoal::cluster {

PurgeCoordinator::PurgeCoordinator(PurgeSequencerOptions options, Hooks hooks, Duration timeout,
                                   Duration retry, Log log)
    : sequencer_(std::move(options)),
      hooks_(std::move(hooks)),
      timeout_(timeout),
      retry_(retry),
      log_(log) {}

PurgeTarget PurgeCoordinator::Originate(const PurgeTarget& target) {
  return sequencer_.Originate(target, GroupOf(target));
}

Result<uint64_t> PurgeCoordinator::Receive(const PurgeTarget& target) {
  const Receipt receipt = sequencer_.Receive(target, GroupOf(target));
  if (!receipt.apply) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return uint64_t{0};
  }
  Result<uint64_t> removed = hooks_.apply_local(target);
  if (receipt.gap) SyncWith(target.stamp.origin);
  return removed;
}

std::optional<uint32_t> PurgeCoordinator::GroupOf(const PurgeTarget& target) const {
  if (target.kind != PurgeKind::kEndpoint || !hooks_.group_of_route) return std::nullopt;
  return hooks_.group_of_route(target.text);
}

void PurgeCoordinator::Flush() {
  flushes_.fetch_add(1, std::memory_order_relaxed);
  PurgeTarget all;
  all.kind = PurgeKind::kAll;
  Result<uint64_t> r = hooks_.apply_local(all);
  log_.Warn("purge catch-up: a peer's purge log did not reach back far enough; flushed " +
            (r.ok() ? std::to_string(*r) + " entries" : std::string(r.status().message())));
}

Result<SyncReply> PurgeCoordinator::ServeSync(const SyncRequest& request) {
  bool flush = false;
  SyncReply reply = sequencer_.AnswerSync(request, &flush);
  if (flush) Flush();
  return reply;
}

void PurgeCoordinator::SyncWith(const std::string& peer) {
  std::shared_ptr<PeerClient> client = hooks_.client_for(peer);
  if (!client) return;
  {
    MutexLock lock(mu_);
    if (!running_.insert(peer).second) return;
  }
  std::weak_ptr<PurgeCoordinator> weak = weak_from_this();
  client->Sync(sequencer_.MakeSyncRequest(peer), timeout_,
               [weak, peer, client](Result<SyncReply> reply) {
                 if (auto self = weak.lock()) self->SyncDone(peer, client, std::move(reply));
               });
}

void PurgeCoordinator::SyncDone(const std::string& peer, const std::shared_ptr<PeerClient>& client,
                                Result<SyncReply> reply) {
  {
    MutexLock lock(mu_);
    running_.erase(peer);
  }
  if (!reply.ok()) return Retry(peer);
  syncs_.fetch_add(1, std::memory_order_relaxed);
  if (sequencer_.TakeSyncReply(peer, *reply)) {
    Flush();
  } else {
    for (const PurgeTarget& t : reply->purges) {
      if (t.stamp.origin != peer) continue;  // a peer speaks for its own purges only
      if (sequencer_.Receive(t, GroupOf(t)).apply) (void)hooks_.apply_local(t);
    }
  }
  // What the peer missed from this node: sent again with their stamps (it skips duplicates).
  std::weak_ptr<PurgeCoordinator> weak = weak_from_this();
  for (const PurgeTarget& t : sequencer_.LoggedAfter(reply->applied_from_you)) {
    resent_.fetch_add(1, std::memory_order_relaxed);
    client->Purge(t, timeout_, [weak, peer](const Result<uint64_t>& r) {
      if (r.ok()) return;
      if (auto self = weak.lock()) self->Retry(peer);
    });
  }
}

void PurgeCoordinator::Retry(const std::string& peer) {
  std::weak_ptr<PurgeCoordinator> weak = weak_from_this();
  hooks_.after(retry_, [weak, peer] {
    if (auto self = weak.lock()) self->SyncWith(peer);
  });
}

PurgeCoordinatorStats PurgeCoordinator::Stats() const {
  PurgeCoordinatorStats s;
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  s.syncs = syncs_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.resent = resent_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace shoal::cluster
