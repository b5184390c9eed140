#include "cluster/peer_reply.h"

#include <algorithm>
#include <string>
#include <utility>

#include "cluster/messages.h"

namespace shoal::cluster {

Result<cache::EntryPtr> CheckPeerEntry(cache::EntryPtr entry, TimePoint now, PeerLimits limits) {
  if (!IsWellFormedEtag(entry->etag())) {
    return Status::InvalidArgument(std::string(kMalformedPrefix) +
                                   ": GET reply: ETag is not a quoted 16-digit hex string");
  }
  const TimePoint fresh_max = now + limits.ttl;
  const TimePoint fresh = std::min(entry->fresh_until(), fresh_max);
  const TimePoint stale = std::min(entry->stale_until(), fresh + limits.grace);
  if (fresh == entry->fresh_until() && stale == entry->stale_until()) return entry;
  cache::EntryOptions o = entry->CopyOptions();
  o.created = std::min(entry->created(), fresh);
  o.fresh_until = fresh;
  o.stale_until = stale;
  return cache::Entry::Make(std::move(o));
}

Status OwnerErrorForCaller(const Status& owner_error) {
  switch (owner_error.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kResourceExhausted:
      return Status(owner_error.code(), "the key's owner node could not answer");
    default:
      return Status::Internal("the key's owner node could not answer");
  }
}

}  // namespace shoal::cluster
