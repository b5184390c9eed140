// Secrets compared without leaking them through time: the one implementation for the admin
// token (admin.cc) and the end users' API keys (api_keys.h).
//
// Both sides are reduced to their SHA-256 digests and the digests are compared with
// CRYPTO_memcmp: the time taken depends neither on where the secrets differ nor on their
// lengths (only on the hashing of the given one, which the client already knows). A set of
// keys is held as digests only (ApiKeySet), so a lookup by digest reveals nothing either.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shoal::api {

using Sha256Digest = std::array<uint8_t, 32>;

// Sha256 returns the SHA-256 digest of `data`. It reuses one digest context per thread, so it
// allocates nothing after a thread's first call.
Sha256Digest Sha256(std::string_view data);

// SameDigest compares two digests in constant time.
bool SameDigest(const Sha256Digest& a, const Sha256Digest& b);

// SameSecret reports whether `given` equals `secret`, comparing their digests in constant time.
bool SameSecret(std::string_view given, std::string_view secret);

}  // namespace shoal::api
