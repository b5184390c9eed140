// KeyedHash: SipHash-1-3 of bytes under a random key made once per process, for every hash
// table and shard choice indexed by strings that a client chooses (cache keys, singleflight
// flights, the hot cache's frequency sketch).
//
// Why keyed: an unkeyed hash such as Hash64 (base/hash.h) can be inverted offline, so a
// client can make any number of distinct keys with one hash value and turn every lookup of
// them into a walk of one bucket (hash flooding; security review 2026-12-05, H4). SipHash with a
// secret 128-bit key is a PRF: without the key, collisions cannot be chosen. The key comes from
// getrandom(2) at the first call of ProcessHashKey and never leaves the process, so values
// differ between processes and runs: never store them or send them to a peer (Hash64 stays
// the hash for the ring and ETags, which must agree across processes).
//
// Why SipHash-1-3 written here, not a library's: it is the hash the usual runtimes chose for
// this job (Rust's HashMap, CPython's str hash) and short (one inline function). OpenSSL has
// SipHash only behind EVP_MAC, which costs a context and several calls per hash; libsodium's
// crypto_shorthash is SipHash-2-4 behind a non-inline call and would be a new dependency. The
// test checks this code against the SipHash paper's vector (2-4) and against OpenSSL's
// EVP_MAC SIPHASH with 1 and 3 rounds (keyed_hash_test.cc).
//
// Thread-safety: pure functions; ProcessHashKey is made once, thread-safely (a function-local
// static), and read-only afterwards.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shoal {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

namespace siphash_internal {

inline uint64_t LoadLittle64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

struct State {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
};

}  // namespace siphash_internal

// SipHash-C-D with a 64-bit result, as the SipHash paper (Aumasson, Bernstein 2012) defines it.
template <int C, int D>
uint64_t SipHash(const SipKey& key, std::string_view data) {
  siphash_internal::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                            key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const char* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    const uint64_t m = siphash_internal::LoadLittle64(p);
    s.v3 ^= m;
    for (int i = 0; i < C; ++i) s.Round();
    s.v0 ^= m;
    p += 8;
    n -= 8;
  }
  uint64_t b = static_cast<uint64_t>(data.size()) << 56;
  for (size_t i = 0; i < n; ++i)
    b |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  s.v3 ^= b;
  for (int i = 0; i < C; ++i) s.Round();
  s.v0 ^= b;
  s.v2 ^= 0xff;
  for (int i = 0; i < D; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline uint64_t SipHash13(const SipKey& key, std::string_view data) {
  return SipHash<1, 3>(key, data);
}

// RandomSipKey returns a key from the kernel's CSPRNG (getrandom, else /dev/urandom). With
// neither (no kernel randomness at all) the process aborts: a guessable key would silently
// undo the point of keying.
SipKey RandomSipKey();

// ProcessHashKey is this process's key, made by RandomSipKey at the first call.
inline const SipKey& ProcessHashKey() {
  static const SipKey kKey = RandomSipKey();
  return kKey;
}

// KeyedHash: SipHash-1-3 of `data` under ProcessHashKey. Stable within a process only.
inline uint64_t KeyedHash(std::string_view data) { return SipHash13(ProcessHashKey(), data); }

}  // namespace shoal
