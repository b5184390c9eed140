// cql_token: where a partition lives. Murmur3 tokens as Cassandra computes them, and the ring
// of node tokens that says which node owns a token. Pure functions and a value type, no I/O.
//
// Murmur3Partitioner (the default since Cassandra 1.2) places a partition at the first 64 bits
// of MurmurHash3_x64_128 (seed 0) of its key's bytes. Cassandra's implementation differs from
// the reference one in one place that changes results: it sign-extends the bytes of the
// tail (the last len % 16 bytes) where the reference code treats them as unsigned, so a key
// whose tail holds a byte >= 0x80 hashes differently. It also maps the one value
// Long.MIN_VALUE (reserved as the ring's minimum) to Long.MAX_VALUE. A driver that routes by
// token must do both, or it sends such keys to a node that is not a replica.
//
// A partition key of several columns is hashed over its composite form (RoutingKey).
// Thread-safety: pure functions; TokenRing is immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace shoal::store::cassandra {

// Murmur3Token returns the token of a partition key's bytes (see above). An empty key gets
// the minimum token, as in Cassandra (which never stores one: a partition key may not be empty).
int64_t Murmur3Token(std::string_view routing_key);

// RoutingKey returns the bytes hashed for a partition key: one component as is; several as
// [2-byte big-endian length][bytes][0x00] each. REQUIRES: each component is under 64 KiB.
std::string RoutingKey(std::span<const std::string_view> components);

// ParseToken reads a token as system.local and system.peers_v2 list them (decimal text).
Result<int64_t> ParseToken(std::string_view decimal);

// TokenRing maps tokens to the nodes that own them. Each node owns the range that ends at
// each of its tokens (vnodes: 16 per node by default in Cassandra 5): a token t belongs to the
// node of the first ring token >= t, wrapping around past the largest.
class TokenRing {
 public:
  TokenRing() = default;
  // `tokens` pairs a token with a node index; order does not matter.
  explicit TokenRing(std::vector<std::pair<int64_t, size_t>> tokens);

  bool empty() const { return ring_.empty(); }
  size_t size() const { return ring_.size(); }

  // Owner returns the node owning `token`. REQUIRES: !empty().
  size_t Owner(int64_t token) const;
  // Replicas replaces `out` with up to `n` distinct nodes met walking the ring from the
  // owner of `token` (SimpleStrategy's placement): the owner first. Empty ring: `out` empty.
  void Replicas(int64_t token, size_t n, std::vector<size_t>* out) const;
  // entries returns the ring: (token, node) pairs in ascending token order.
  std::span<const std::pair<int64_t, size_t>> entries() const { return ring_; }

 private:
  std::vector<std::pair<int64_t, size_t>> ring_;  // sorted by token
};

}  // namespace shoal::store::cassandra
