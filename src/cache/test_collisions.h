// Colliding keys for the unkeyed word-at-a-time hashes (tests only): Hash64 (base/hash.h) and
// libstdc++'s std::hash of strings (_Hash_bytes).
//
// Both walk the key in 8-byte words with a step h' = step(h, w) that, for a given h, is a
// bijection of w, and whose inverse (solve) is cheap. So from a state h, two different
// two-word blocks (a, b) and (a', b') that reach the same state are found by picking a, b and
// a' and solving for b'; b' is retried until it is made of letters and digits, like a
// canonical key. Joux's construction chains k such block pairs: the 2^k keys that choose
// either block at each position all reach the same state, and, being equally long with the
// same suffix, have the same hash. This is the flooding attack of the security review
// (2026-12-05, H4).
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::cache::testing {

struct WordHash {
  uint64_t (*init)(size_t length);            // the state before the first word
  uint64_t (*step)(uint64_t h, uint64_t w);   // one 8-byte word
  uint64_t (*solve)(uint64_t h, uint64_t t);  // the w with step(h, w) == t
};

constexpr uint64_t InverseOdd(uint64_t a) {
  uint64_t x = a;  // Newton's iteration: each round doubles the correct low bits
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x;
}
// The inverse of x ^= x >> s.
constexpr uint64_t UnshiftXor(uint64_t y, int s) {
  uint64_t x = y;
  for (int i = s; i < 64; i += s) x = y ^ (x >> s);
  return x;
}

// Hash64 (base/hash.h) with seed 0.
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
inline WordHash Hash64Words() {
  return WordHash{[](size_t) -> uint64_t { return 0xcbf29ce484222325ULL; },
                  [](uint64_t h, uint64_t w) -> uint64_t {
                    h = (h ^ w) * kFnvPrime;
                    return h ^ (h >> 29);
                  },
                  [](uint64_t h, uint64_t t) -> uint64_t {
                    return (UnshiftXor(t, 29) * InverseOdd(kFnvPrime)) ^ h;
                  }};
}

// libstdc++'s _Hash_bytes on 64-bit targets, with std::hash's seed.
constexpr uint64_t kMurmurMul = (uint64_t{0xc6a4a793} << 32) + 0x5bd1e995;
inline uint64_t MurmurWord(uint64_t w) {
  w *= kMurmurMul;
  return (w ^ (w >> 47)) * kMurmurMul;
}
inline WordHash StdHashWords() {
  return WordHash{
      [](size_t length) -> uint64_t { return 0xc70f6907ULL ^ (length * kMurmurMul); },
      [](uint64_t h, uint64_t w) -> uint64_t { return (h ^ MurmurWord(w)) * kMurmurMul; },
      [](uint64_t h, uint64_t t) -> uint64_t {
        const uint64_t mixed = (t * InverseOdd(kMurmurMul)) ^ h;  // MurmurWord(w)
        return UnshiftXor(mixed * InverseOdd(kMurmurMul), 47) * InverseOdd(kMurmurMul);
      }};
}

inline uint64_t Word(std::string_view s) {
  uint64_t w;
  std::memcpy(&w, s.data(), 8);
  return w;
}
inline std::string Text(uint64_t w) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &w, 8);
  return s;
}
inline bool Alphanumeric(uint64_t w) {
  for (int i = 0; i < 8; ++i) {
    const char c = static_cast<char>(w >> (8 * i));
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// CollidingKeys returns 2^blocks distinct keys prefix + 16*blocks letters and digits + suffix
// with one value of `hash`. prefix.size() must be a multiple of 8. Little-endian only.
inline std::vector<std::string> CollidingKeys(const WordHash& hash, std::string_view prefix,
                                              size_t blocks, std::string_view suffix) {
  static constexpr std::string_view kChars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::mt19937_64 rng(42);
  auto random_word = [&rng] {
    std::string s(8, 'a');
    for (char& c : s) c = kChars[rng() % kChars.size()];
    return Word(s);
  };
  uint64_t h = hash.init(prefix.size() + 16 * blocks + suffix.size());
  for (size_t i = 0; i + 8 <= prefix.size(); i += 8) h = hash.step(h, Word(prefix.substr(i)));
  std::vector<std::string> keys{std::string(prefix)};
  for (size_t k = 0; k < blocks; ++k) {
    const uint64_t a = random_word();
    const uint64_t b = random_word();
    const uint64_t target = hash.step(hash.step(h, a), b);
    uint64_t a2 = 0;
    uint64_t b2 = 0;
    do {
      a2 = random_word();
      b2 = hash.solve(hash.step(h, a2), target);
    } while (a2 == a || !Alphanumeric(b2));
    const std::string one = Text(a) + Text(b);
    const std::string two = Text(a2) + Text(b2);
    std::vector<std::string> next;
    next.reserve(keys.size() * 2);
    for (const std::string& key : keys) {
      next.push_back(key + one);
      next.push_back(key + two);
    }
    keys = std::move(next);
    h = target;
  }
  for (std::string& key : keys) key += suffix;
  return keys;
}

}  // namespace shoal::cache::testing
