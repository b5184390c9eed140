#include "cluster/hash_ring.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "base/hash.h"

namespace shoal::cluster {

HashRing::HashRing(std::vector<std::string> nodes, size_t points_per_node)
    : nodes_(std::move(nodes)), points_per_node_(std::max<size_t>(points_per_node, 1)) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());

  struct Point {
    uint64_t hash;
    uint32_t owner;
  };
  std::vector<Point> ring;
  ring.reserve(nodes_.size() * points_per_node_);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (size_t p = 0; p < points_per_node_; ++p) {
      ring.push_back({Hash64(nodes_[n], p), static_cast<uint32_t>(n)});
    }
  }
  // Owner indices follow name order, so sorting by (hash, owner) puts the smallest name first
  // among equal hashes; unique then keeps that one. Neither step depends on the input order.
  std::sort(ring.begin(), ring.end(), [](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.owner < b.owner;
  });
  ring.erase(std::unique(ring.begin(), ring.end(),
                         [](const Point& a, const Point& b) { return a.hash == b.hash; }),
             ring.end());

  points_.reserve(ring.size());
  owners_.reserve(ring.size());
  for (const Point& point : ring) {
    points_.push_back(point.hash);
    owners_.push_back(point.owner);
  }
}

uint64_t HashRing::KeyPosition(std::string_view key) { return Hash64(key, kKeySeed); }

size_t HashRing::OwnerIndex(std::string_view key) const {
  if (points_.empty()) return kNoOwner;
  const uint64_t position = KeyPosition(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), position);
  if (it == points_.end()) it = points_.begin();  // past the last point: wrap to the first
  return owners_[static_cast<size_t>(it - points_.begin())];
}

const std::string& HashRing::Owner(std::string_view key) const {
  const size_t i = OwnerIndex(key);
  assert(i != kNoOwner && "HashRing::Owner on an empty ring");
  if (i == kNoOwner) {
    static const std::string kNobody;
    return kNobody;
  }
  return nodes_[i];
}

std::optional<size_t> HashRing::IndexOf(std::string_view name) const {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), name);
  if (it == nodes_.end() || *it != name) return std::nullopt;
  return static_cast<size_t>(it - nodes_.begin());
}

std::vector<double> HashRing::Shares() const {
  std::vector<double> shares(nodes_.size(), 0.0);
  if (points_.empty()) return shares;
  // Point i owns the keys in (points_[i-1], points_[i]]; the first one also owns the wrap
  // past the last point. Unsigned subtraction makes the wrap arc come out right.
  constexpr double kSpace = 18446744073709551616.0;  // 2^64
  for (size_t i = 0; i < points_.size(); ++i) {
    const uint64_t prev = points_[i == 0 ? points_.size() - 1 : i - 1];
    const uint64_t arc = points_.size() == 1 ? 0 : points_[i] - prev;
    shares[owners_[i]] += points_.size() == 1 ? 1.0 : static_cast<double>(arc) / kSpace;
  }
  return shares;
}

}  // namespace shoal::cluster
