// TokenCache: this thread's verified JSON Web Tokens, so that a token seen again costs one
// SHA-256 and one probe rather than a signature check (RS256 verification is tens of
// microseconds; bench/auth_bench.cc measures both).
//
// A direct-mapped table of kSlots slots, indexed by the token's SHA-256 digest, each holding the
// verifier's id (JwtVerifier::id: a reload's new verifier never matches an old slot), the
// digest, the token's exp and its kept claims. A slot is replaced by the next token that maps
// to it; only verified tokens are put in, and the caller checks exp (with its leeway) on every
// hit, so a cached token is refused as soon as it expires. Bounded: kSlots slots per thread,
// each with at most kMaxClaimBytes of claims (a token with more is verified every time).
//
// Thread-safety: one instance per thread (ForThisThread); not to be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "api/claims.h"
#include "api/secret.h"

namespace shoal::api {

struct CachedToken {
  uint64_t verifier = 0;  // 0: an empty slot
  Sha256Digest digest{};
  int64_t exp = 0;  // seconds since the Unix epoch
  Claims claims;
};

class TokenCache {
 public:
  static constexpr size_t kSlots = 1024;
  static constexpr size_t kMaxClaimBytes = 1024;

  // ForThisThread returns the calling thread's cache.
  static TokenCache& ForThisThread();

  TokenCache() : slots_(kSlots) {}

  // Find returns the token `digest` that `verifier` verified, or nullptr. The pointer is valid
  // until this thread's next Put.
  const CachedToken* Find(uint64_t verifier, const Sha256Digest& digest) const {
    const CachedToken& slot = slots_[SlotOf(digest)];
    return slot.verifier == verifier && slot.digest == digest ? &slot : nullptr;
  }

  // Put remembers a verified token (unless its claims are too large) and returns the claims
  // as kept: in the slot, or in a per-thread spare when not cached. Valid until the next Put.
  const Claims& Put(uint64_t verifier, const Sha256Digest& digest, int64_t exp, Claims claims);

 private:
  static size_t SlotOf(const Sha256Digest& d) {
    return (size_t{d[0]} | size_t{d[1]} << 8) % kSlots;
  }
  std::vector<CachedToken> slots_;
  Claims spare_;
};

}  // namespace shoal::api
