// The version of the cluster's member list and the MEMBERS message that spreads it.
//
// A ListVersion is {epoch, origin, digest}, ordered lexicographically: the epoch (monotonic:
// a change made on a node is that node's epoch + 1), then the origin (the address of the node
// that made the change), then the digest of the sorted list (Hash64, a last tie-breaker so
// that two nodes that made different changes at the same epoch settle on one). Every node
// adopts the highest version it sees. A static list from the config is epoch 0 with an empty
// origin, so nodes started from the same config agree at once. A node that knows no list yet
// (it started with seeds only) has the lowest version of all: epoch 0, no origin, digest 0
// (ListDigest never returns 0).
//
// MEMBERS (method 3) request: flags (bit 0: the sender asks to be added to the list), the
// sender's peer address, its version and list. Reply: the receiver's version, then its list
// when that version is higher than the sender's (so one exchange settles both ends).
// docs/rpc-format.md ("Cluster messages") has the byte layout. Decoding is strict like the
// other messages: a truncated or oversized message, trailing bytes, unknown flags, a list
// that is not sorted and unique, or a digest that does not match the list is InvalidArgument
// (fuzz/peer_message_fuzz.cc). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/status.h"

namespace shoal::cluster {

struct ListVersion {
  uint64_t epoch = 0;
  std::string origin;  // the node that made the change; empty for a config's static list
  uint64_t digest = 0;
  friend bool operator<(const ListVersion& a, const ListVersion& b) {
    return std::tie(a.epoch, a.origin, a.digest) < std::tie(b.epoch, b.origin, b.digest);
  }
  friend bool operator>(const ListVersion& a, const ListVersion& b) { return b < a; }
  friend bool operator==(const ListVersion& a, const ListVersion& b) {
    return std::tie(a.epoch, a.origin, a.digest) == std::tie(b.epoch, b.origin, b.digest);
  }
};

// ListDigest hashes a sorted, duplicate-free list (never 0: 0 is "no list").
uint64_t ListDigest(const std::vector<std::string>& sorted);
// SortedUnique returns `members` sorted, duplicates collapsed (the order a list travels in).
std::vector<std::string> SortedUnique(std::vector<std::string> members);
// Describe: "epoch 3 from 127.0.0.1:7001" (for logs and errors).
std::string Describe(const ListVersion& v);

// MemberList: one version of the list; members sorted and unique.
struct MemberList {
  ListVersion version;
  std::vector<std::string> members;
};

// StaticList is the version of a list given by configuration (epoch 0, no origin).
MemberList StaticList(std::vector<std::string> members);

struct MembersRequest {
  bool join = false;   // the sender has cache memory, is not in the list and asks to be added
  std::string sender;  // its peer address
  MemberList list;     // its version and list
};

struct MembersReply {
  ListVersion version;             // the receiver's
  std::optional<MemberList> list;  // the receiver's list, when its version is the higher
};

inline constexpr size_t kMaxMembers = 4096;
inline constexpr size_t kMaxAddress = 512;

std::string EncodeMembers(const MembersRequest& request);
Result<MembersRequest> DecodeMembers(std::string_view payload);
std::string EncodeMembersReply(const MembersReply& reply);
Result<MembersReply> DecodeMembersReply(std::string_view payload);

}  // namespace shoal::cluster
