// cql_token: see cql_token.h. MurmurHash3 is Austin Appleby's public-domain design; the
// constants and steps below follow its published description.
#include "store/cassandra/cql_token.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "base/big_endian.h"
#include "base/numbers.h"

namespace shoal::store::cassandra {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

constexpr uint64_t Rotl(uint64_t v, int r) { return (v << r) | (v >> (64 - r)); }

constexpr uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// MixK1 and MixK2 scramble one 8-byte lane before it enters h1 or h2 (the same steps for a
// whole block and for the tail).
constexpr uint64_t MixK1(uint64_t k1) { return Rotl(k1 * kC1, 31) * kC2; }
constexpr uint64_t MixK2(uint64_t k2) { return Rotl(k2 * kC2, 33) * kC1; }

// Block reads 8 bytes little-endian, unsigned (Cassandra masks these).
uint64_t Block(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// TailByte is byte `b` shifted into place the way Cassandra does it: sign-extended first.
uint64_t TailByte(unsigned char b, int shift) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(b))) << shift;
}

}  // namespace

int64_t Murmur3Token(std::string_view key) {
  // Murmur3Partitioner.getToken answers the ring's minimum for an empty key without hashing
  // it. A table rejects such a key ("Key may not be empty"), but match the server anyway.
  if (key.empty()) return std::numeric_limits<int64_t>::min();
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t len = key.size();
  const size_t blocks = len / 16;
  uint64_t h1 = 0;
  uint64_t h2 = 0;
  for (size_t i = 0; i < blocks; ++i) {
    h1 ^= MixK1(Block(data + i * 16));
    h1 = Rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= MixK2(Block(data + i * 16 + 8));
    h2 = Rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = data + blocks * 16;
  const size_t rest = len & 15;
  uint64_t k1 = 0;
  uint64_t k2 = 0;
  for (size_t i = rest; i > 8; --i) k2 ^= TailByte(tail[i - 1], static_cast<int>((i - 9) * 8));
  if (rest > 8) h2 ^= MixK2(k2);
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) {
    k1 ^= TailByte(tail[i - 1], static_cast<int>((i - 1) * 8));
  }
  if (rest > 0) h1 ^= MixK1(k1);
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  const auto token = static_cast<int64_t>(h1);
  // The ring's minimum token is reserved; Cassandra moves a key that hashes to it.
  return token == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : token;
}

std::string RoutingKey(std::span<const std::string_view> components) {
  if (components.size() == 1) return std::string(components[0]);
  std::string out;
  for (std::string_view c : components) {
    AppendBigEndian16(out, static_cast<uint16_t>(c.size()));
    out.append(c);
    out.push_back('\0');
  }
  return out;
}

Result<int64_t> ParseToken(std::string_view decimal) {
  const std::optional<int64_t> v = ParseInt64(decimal);
  if (!v) {
    return Status::InvalidArgument("cassandra: bad token '" + std::string(decimal) + "'");
  }
  return *v;
}

TokenRing::TokenRing(std::vector<std::pair<int64_t, size_t>> tokens) : ring_(std::move(tokens)) {
  std::sort(ring_.begin(), ring_.end());
}

size_t TokenRing::Owner(int64_t token) const {
  auto it = std::lower_bound(ring_.begin(), ring_.end(), token,
                             [](const auto& entry, int64_t t) { return entry.first < t; });
  if (it == ring_.end()) it = ring_.begin();
  return it->second;
}

void TokenRing::Replicas(int64_t token, size_t n, std::vector<size_t>* out) const {
  out->clear();
  if (ring_.empty() || n == 0) return;
  auto it = std::lower_bound(ring_.begin(), ring_.end(), token,
                             [](const auto& entry, int64_t t) { return entry.first < t; });
  size_t at = static_cast<size_t>(it - ring_.begin()) % ring_.size();
  for (size_t walked = 0; walked < ring_.size() && out->size() < n; ++walked) {
    const size_t node = ring_[(at + walked) % ring_.size()].second;
    if (std::find(out->begin(), out->end(), node) == out->end()) out->push_back(node);
  }
}

}  // namespace shoal::store::cassandra
