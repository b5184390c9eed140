#include "cluster/peer_get.h"

#include <algorithm>
#include <utility>

namespace shoal::cluster {

void PeerGetServer::Serve(cache::ReadThrough& rt, const GetRequest& request, ServeGetReply reply) {
  const std::string_view key = request.key;
  const uint32_t group = inner_.GroupOf(key);
  PurgeSequencer& seq = purge_->sequencer();
  if (seq.KeyFloor(key) < request.key_floor) {
    seq.RaiseKeyFloor(key, request.key_floor);
    rt.Erase(key);
    purge_behind.fetch_add(1, std::memory_order_relaxed);
  }
  if (request.memory_only) {
    cache::EntryPtr e = rt.Peek(key);
    if (!e) return reply(Status::NotFound("not held"), 0);
    const uint64_t fill = seq.FillToSend(*e, group);
    return reply(std::move(e), fill);
  }
  cache::Source source;
  if (cache::EntryPtr e = rt.Lookup(key, &source)) {
    const uint64_t fill = seq.FillToSend(*e, group);
    return reply(std::move(e), fill);
  }
  const bool timed = request.deadline > Duration::zero();
  if (timed && !rt.InFlight(key) && request.deadline < std::max(min_load_time_, load_time_.Get())) {
    deadline_refused.fetch_add(1, std::memory_order_relaxed);
    return reply(Status::DeadlineExceeded("too little time left to load the key"), 0);
  }
  const TimePoint expiry = clock_.Now() + request.deadline;
  rt.Load(
      key,
      [self = shared_from_this(), group, expiry, timed, reply = std::move(reply)](
          Result<cache::EntryPtr> r, cache::Source) {
        if (timed && self->clock_.Now() > expiry) {
          self->late_dropped.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        const uint64_t fill = r.ok() ? self->purge_->sequencer().FillToSend(**r, group) : 0;
        reply(std::move(r), fill);
      },
      cache::Scope::kLocal);
}

}  // namespace shoal::cluster
