// The cluster's messages inside rpc frames: what one node asks another and what it answers.
//
// The rpc layer carries opaque payloads with a method byte; this file says what is inside
// (docs/rpc-format.md, "Cluster messages", has the byte-by-byte table). Big-endian.
//
//   GET    request: the key.            reply: a status byte, then an entry or an error message
//   PURGE  request: a target (a key, or every key of one endpoint's route).
//          reply: a status byte, then the number of entries removed, or an error message
//   MEMBERS the list version and member list (members_message.h)
//
// An entry travels with its owner's deadlines as durations relative to the moment of
// encoding (age, fresh for, stale for), so that nodes need no synchronised clocks: the
// receiver rebuilds them against its own steady clock, losing only the transit time. A hot
// copy therefore expires with the owner's entry, not a full ttl later.
//
// Decoding never trusts a length: every Decode* rejects a truncated or oversized message,
// trailing bytes and unknown values with InvalidArgument. A fuzz target covers them
// (fuzz/peer_message_fuzz.cc). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "cache/entry.h"

namespace shoal::cluster {

enum class Method : uint8_t {
  kGet = 1,
  kPurge = 2,
  kMembers = 3,  // members_message.h
};

enum class PurgeKind : uint8_t {
  kKey = 1,       // one canonical key
  kEndpoint = 2,  // every key of the endpoint whose route (as configured) is the text
};

struct PurgeTarget {
  PurgeKind kind = PurgeKind::kKey;
  std::string text;
};

// Keys longer than this are refused on both ends (the HTTP layer's request-line limit is
// far below it).
inline constexpr size_t kMaxKey = size_t{64} * 1024;

std::string EncodeGet(std::string_view key);
Result<std::string_view> DecodeGet(std::string_view payload);  // the key, a view into payload

// EncodeEntryReply writes `entry` with its deadlines relative to `now`.
std::string EncodeEntryReply(const cache::Entry& entry, TimePoint now);
// EncodeErrorReply writes a non-OK status.
std::string EncodeErrorReply(const Status& status);
// DecodeGetReply rebuilds the entry for `key` against `now`, or returns the error the owner
// sent (with its code), or InvalidArgument for a malformed reply. `malformed`, when given, is
// set to whether the payload could not be decoded: that tells a broken reply from an
// InvalidArgument the owner sent, without reading the message.
Result<cache::EntryPtr> DecodeGetReply(std::string_view payload, std::string_view key,
                                       TimePoint now, bool* malformed = nullptr);
// IsWellFormedEtag: exactly a quoted 16-digit lowercase hex string, as cache::StrongEtag
// makes ("\"0123456789abcdef\""). A GET reply with any other ETag is malformed.
bool IsWellFormedEtag(std::string_view etag);

// Messages of the errors that say a payload could not be decoded start with this (for
// people; code uses the `malformed` flag).
inline constexpr std::string_view kMalformedPrefix = "malformed peer reply";

std::string EncodePurge(const PurgeTarget& target);
Result<PurgeTarget> DecodePurge(std::string_view payload);
std::string EncodePurgeReply(Result<uint64_t> removed);
// DecodePurgeReply: the count removed, the owner's error, or InvalidArgument for a malformed
// reply (`malformed` as in DecodeGetReply).
Result<uint64_t> DecodePurgeReply(std::string_view payload, bool* malformed = nullptr);

}  // namespace shoal::cluster
