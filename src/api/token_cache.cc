// TokenCache; see token_cache.h.
#include "api/token_cache.h"

#include <utility>

namespace shoal::api {

TokenCache& TokenCache::ForThisThread() {
  thread_local TokenCache cache;
  return cache;
}

const Claims& TokenCache::Put(uint64_t verifier, const Sha256Digest& digest, int64_t exp,
                              Claims claims) {
  size_t bytes = 0;
  for (const Claim& c : claims) bytes += c.name.size() + c.value.size();
  if (bytes > kMaxClaimBytes) {
    spare_ = std::move(claims);
    return spare_;
  }
  CachedToken& slot = slots_[SlotOf(digest)];
  slot.verifier = verifier;
  slot.digest = digest;
  slot.exp = exp;
  slot.claims = std::move(claims);
  return slot.claims;
}

}  // namespace shoal::api
