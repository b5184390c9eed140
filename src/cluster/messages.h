// The cluster's messages inside rpc frames: what one node asks another and what it answers.
//
// The rpc layer carries opaque payloads with a method byte; this file says what is inside
// (docs/rpc-format.md, "Cluster messages", has the byte-by-byte table). Big-endian.
//
//   GET    request: the key, the caller's purge floor for its key slot, the caller's
//          remaining deadline (ms), flags (memory only: a handover).
//          reply: a status byte, then an entry (with its fill sequence, its response header
//          lines and, since the tags change, a flags byte (no_store) and its tags) or an
//          error message
//   PURGE  request: a target (a key, every key of one endpoint's route, every entry carrying
//          some tags, or everything; soft or not) and its stamp (purge_sequencer.h). reply: a
//          status byte, then the number of entries removed (or marked stale), or an error
//          message
//   PURGE_SYNC request: what the caller applied from the callee and the range of its own log.
//          reply: a status byte, then what the callee applied from the caller, and the
//          callee's purges the caller missed or a flush instruction (purge_sequencer.h)
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
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "cache/entry.h"

namespace shoal::cluster {

enum class Method : uint8_t {
  kGet = 1,
  kPurge = 2,
  kMembers = 3,  // members_message.h
  kPurgeSync = 4,
};

enum class PurgeKind : uint8_t {
  kKey = 1,       // one canonical key
  kEndpoint = 2,  // every key of the endpoint whose route (as configured) is the text
  kAll = 3,       // everything (catch-up of a node that missed more than a log holds); no text
  kTag = 4,       // every entry carrying one of the tags in the text (joined by single spaces)
};
// On the wire a soft purge (mark stale, PurgeTarget::soft) sets this bit of the kind byte.
inline constexpr uint8_t kSoftPurgeBit = 0x80;

// PurgeStamp orders a purge across the cluster (purge_sequencer.h). seq 0: unstamped.
struct PurgeStamp {
  uint64_t seq = 0;          // Lamport sequence
  std::string origin;        // the node that began the purge, host:port
  uint64_t incarnation = 0;  // the origin's process incarnation
  uint64_t n = 0;            // the origin's counter within its incarnation, from 1
};

struct PurgeTarget {
  PurgeTarget() = default;
  PurgeTarget(PurgeKind k, std::string t) : kind(k), text(std::move(t)) {}

  PurgeKind kind = PurgeKind::kKey;
  std::string text;
  bool soft = false;  // mark the entries stale instead of removing them (never with kAll)
  PurgeStamp stamp;
};

// GetRequest is one peer GET: the key, the caller's key-slot purge floor (an owner whose own
// floor is lower missed a purge of the key) and how long the caller still waits.
struct GetRequest {
  std::string_view key;
  uint64_t key_floor = 0;
  Duration deadline = Duration::zero();  // zero: none given
  // Handover: answer from memory only (a fresh entry), never load, never forward; NotFound
  // when not held.
  bool memory_only = false;
};

// SyncRequest: the caller `from` tells the callee what it applied from it and which of its
// own purges its log still holds ([first_n, last_n]; first_n = last_n + 1 when empty).
struct SyncRequest {
  std::string from;
  uint64_t from_incarnation = 0;
  uint64_t max_seen = 0;
  uint64_t your_incarnation = 0;  // the callee's incarnation as the caller knows it (0: none)
  uint64_t applied_from_you = 0;
  uint64_t first_n = 1;
  uint64_t last_n = 0;
};

// SyncReply: the callee's incarnation, what it applied from the caller (after flushing
// itself when the caller's log could not cover the gap), its last n, and either the purges
// the caller missed or `flush` (its log no longer reaches back).
struct SyncReply {
  uint64_t incarnation = 0;
  uint64_t max_seen = 0;
  uint64_t applied_from_you = 0;
  uint64_t last_n = 0;
  bool flush = false;
  std::vector<PurgeTarget> purges;  // stamped, by n
};

// Keys longer than this are refused on both ends (the HTTP layer's request-line limit is
// far below it).
inline constexpr size_t kMaxKey = size_t{64} * 1024;

std::string EncodeGet(std::string_view key, uint64_t key_floor = 0,
                      Duration deadline = Duration::zero(), bool memory_only = false);
// DecodeGet: the request, its key a view into payload.
Result<GetRequest> DecodeGet(std::string_view payload);

// EncodeEntryReply writes `entry` with its deadlines relative to `now` and `fill_seq` (the
// entry's, or 0 when the receiver must not keep it).
std::string EncodeEntryReply(const cache::Entry& entry, TimePoint now, uint64_t fill_seq);
// EncodeErrorReply writes a non-OK status.
std::string EncodeErrorReply(const Status& status);
// DecodeGetReply rebuilds the entry for `key` against `now`, or returns the error the owner
// sent (with its code), or InvalidArgument for a malformed reply. `malformed`, when given, is
// set to whether the payload could not be decoded: that tells a broken reply from an
// InvalidArgument the owner sent, without reading the message.
Result<cache::EntryPtr> DecodeGetReply(std::string_view payload, std::string_view key,
                                       TimePoint now, bool* malformed = nullptr);
// IsWellFormedHeaderLines: zero or more lines "Name: value\r\n", the name of letters, digits
// and '-', the value without control characters. A GET reply whose entry carries anything
// else is malformed (the lines are written into HTTP answers as they are).
bool IsWellFormedHeaderLines(std::string_view lines);
// IsWellFormedEtag: exactly a quoted 16-digit lowercase hex string, as cache::StrongEtag
// makes ("\"0123456789abcdef\""). A GET reply with any other ETag is malformed.
bool IsWellFormedEtag(std::string_view etag);

// Messages of the errors that say a payload could not be decoded start with this (for
// people; code uses the `malformed` flag).
inline constexpr std::string_view kMalformedPrefix = "malformed peer reply";

// A PURGE's stamp is all or nothing (seq 0, no origin, n 0: unstamped).
std::string EncodePurge(const PurgeTarget& target);
Result<PurgeTarget> DecodePurge(std::string_view payload);
std::string EncodePurgeReply(Result<uint64_t> removed);
// DecodePurgeReply: the count removed, the owner's error, or InvalidArgument for a malformed
// reply (`malformed` as in DecodeGetReply).
Result<uint64_t> DecodePurgeReply(std::string_view payload, bool* malformed = nullptr);

std::string EncodeSyncRequest(const SyncRequest& request);
Result<SyncRequest> DecodeSyncRequest(std::string_view payload);
std::string EncodeSyncReply(const Result<SyncReply>& reply);
Result<SyncReply> DecodeSyncReply(std::string_view payload);
// At most this many purges in one SyncReply (and their texts at most kMaxSyncBytes in all):
// a longer catch-up is a flush.
inline constexpr size_t kMaxSyncPurges = 4096;
inline constexpr size_t kMaxSyncBytes = size_t{4} << 20;

}  // namespace shoal::cluster
