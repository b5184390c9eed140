// Hash64: a fast, non-cryptographic 64-bit hash of bytes.
//
// Used where every process must get the same value: the cluster's hash ring and strong ETags
// of response bodies. It is stable across processes and builds, so never change it casually.
// It is unkeyed, so anyone can make keys that collide under it: tables indexed by strings a
// client chooses (the cache, singleflight) use KeyedHash (base/keyed_hash.h) instead.
// FNV-1a over 8-byte words followed by a 64-bit finaliser (the splitmix64 mixer), which fixes
// FNV's weak high bits. Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace shoal {

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline uint64_t Hash64(std::string_view data, uint64_t seed = 0) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  const char* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kPrime;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail ^ (static_cast<uint64_t>(data.size()) << 56)) * kPrime;
  return Mix64(h);
}

}  // namespace shoal
