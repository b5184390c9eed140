#include "cluster/messages.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "base/big_endian.h"
#include "cluster/message_reader.h"

namespace shoal::cluster {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using wire::PutI64;
using wire::PutString;
using wire::PutU64;
using wire::PutU8;
using wire::Reader;

Status Malformed(std::string_view what) {
  return Status::InvalidArgument(std::string(kMalformedPrefix) + ": " + std::string(what));
}

int64_t Millis(Duration d) { return duration_cast<milliseconds>(d).count(); }

// Deadlines in a reply are bounded so that a hostile or broken peer cannot overflow a
// TimePoint: 10 years is far beyond any ttl + grace.
constexpr int64_t kMaxMillis = int64_t{10} * 365 * 24 * 3600 * 1000;

constexpr size_t kMaxEtag = 256;  // read bound; IsWellFormedEtag then wants exactly 18
constexpr size_t kMaxBody = size_t{1} << 30;
constexpr size_t kMaxMessage = 4096;
constexpr size_t kMaxHeaders = 8192;           // an entry's response header lines (a page's Link)
constexpr size_t kMaxTags = size_t{16} << 20;  // read bound on an entry's tags

// WellFormedTags: tags as cache::Entry keeps them: bytes above 0x20 but 0x7f, joined by single
// spaces, none empty ("" is no tag).
bool WellFormedTags(std::string_view tags) {
  if (tags.empty()) return true;
  if (tags.front() == ' ' || tags.back() == ' ') return false;
  char prev = 'x';
  for (const char c : tags) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' ? prev == ' ' : (u < 0x20 || u == 0x7f)) return false;
    prev = c;
  }
  return true;
}

void PutStatus(std::string& out, const Status& status) {
  PutU8(out, static_cast<uint8_t>(status.code()));
  PutString(out, status.message().substr(0, kMaxMessage));
}

// MakeStatus rebuilds an error the peer sent. REQUIRES: KnownErrorCode(code).
Status MakeStatus(uint8_t code, std::string_view message) {
  return Status(static_cast<StatusCode>(code), std::string(message));
}

bool KnownErrorCode(uint8_t code) {
  return code > static_cast<uint8_t>(StatusCode::kOk) &&
         code <= static_cast<uint8_t>(StatusCode::kInternal);
}

}  // namespace

bool IsWellFormedHeaderLines(std::string_view lines) {
  while (!lines.empty()) {
    const size_t end = lines.find("\r\n");
    if (end == std::string_view::npos) return false;
    const std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    const size_t colon = line.find(": ");
    if (colon == 0 || colon == std::string_view::npos) return false;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool name_char =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (i < colon ? !name_char : (c < 0x20 || c == 0x7f)) return false;
    }
  }
  return true;
}

bool IsWellFormedEtag(std::string_view etag) {
  if (etag.size() != 18 || etag.front() != '"' || etag.back() != '"') return false;
  for (const char c : etag.substr(1, 16)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string EncodeGet(std::string_view key, uint64_t key_floor, Duration deadline,
                      bool memory_only) {
  std::string out;
  PutString(out, key);
  PutU64(out, key_floor);
  PutI64(out, std::max<int64_t>(Millis(deadline), 0));
  PutU8(out, memory_only ? 1 : 0);
  return out;
}

Result<GetRequest> DecodeGet(std::string_view payload) {
  Reader r(payload);
  GetRequest g;
  g.key = r.String(kMaxKey);
  g.key_floor = r.U64();
  const int64_t ms = r.I64();
  const uint8_t flags = r.U8();
  if (flags > 1) return Malformed("GET: unknown flags");
  g.memory_only = flags == 1;
  if (!r.Done() || g.key.empty())
    return Malformed("GET: expected a non-empty key, floor, deadline");
  if (ms < 0 || ms > kMaxMillis) return Malformed("GET: deadline out of range");
  g.deadline = milliseconds(ms);
  return g;
}

std::string EncodeEntryReply(const cache::Entry& entry, TimePoint now, uint64_t fill_seq) {
  std::string out;
  out.reserve(68 + entry.etag().size() + entry.body().size() + entry.headers().size());
  PutU8(out, static_cast<uint8_t>(StatusCode::kOk));
  PutU8(out, static_cast<uint8_t>(entry.kind()));
  PutI64(out, Millis(now - entry.created()));
  PutI64(out, Millis(entry.fresh_until() - now));
  PutI64(out, Millis(entry.stale_until() - now));
  PutString(out, entry.etag());
  PutString(out, entry.body());
  PutU64(out, fill_seq);
  PutString(out, entry.headers());
  PutU8(out, entry.no_store() ? 1 : 0);
  PutString(out, entry.tags());
  return out;
}

std::string EncodeErrorReply(const Status& status) {
  std::string out;
  PutStatus(out, status);
  return out;
}

namespace {

// DecodeGetReplyBody sets `owner_error` when the reply is an error the owner sent; every
// other error is a malformed payload.
Result<cache::EntryPtr> DecodeGetReplyBody(std::string_view payload, std::string_view key,
                                           TimePoint now, bool& owner_error) {
  Reader r(payload);
  const uint8_t code = r.U8();
  if (code != static_cast<uint8_t>(StatusCode::kOk)) {
    std::string_view message = r.String(kMaxMessage);
    if (!r.Done() || !KnownErrorCode(code)) return Malformed("GET reply: bad error");
    owner_error = true;
    return MakeStatus(code, message);
  }
  const uint8_t kind = r.U8();
  const int64_t age = r.I64();
  const int64_t fresh = r.I64();
  const int64_t stale = r.I64();
  std::string_view etag = r.String(kMaxEtag);
  std::string_view body = r.String(kMaxBody);
  const uint64_t fill_seq = r.U64();
  const std::string_view headers = r.String(kMaxHeaders);
  const uint8_t flags = r.U8();
  std::string_view tags = r.String(kMaxTags);
  if (!r.Done()) return Malformed("GET reply: truncated or trailing bytes");
  if (flags > 1) return Malformed("GET reply: unknown entry flags");
  if (!WellFormedTags(tags)) return Malformed("GET reply: tags are not single-space separated");
  if (kind != static_cast<uint8_t>(cache::EntryKind::kValue) &&
      kind != static_cast<uint8_t>(cache::EntryKind::kNotFound)) {
    return Malformed("GET reply: unknown entry kind");
  }
  if (age < 0 || age > kMaxMillis || fresh < -kMaxMillis || fresh > kMaxMillis || stale < fresh ||
      stale > kMaxMillis) {
    return Malformed("GET reply: deadlines out of range");
  }
  if (!IsWellFormedEtag(etag)) return Malformed("GET reply: ETag is not a quoted 16-digit hex");
  if (!IsWellFormedHeaderLines(headers)) return Malformed("GET reply: bad response header lines");
  cache::EntryOptions o;
  o.key = std::string(key);
  o.kind = static_cast<cache::EntryKind>(kind);
  o.body = Bytes::Copy(body);
  o.created = now - milliseconds(age);
  o.fresh_until = now + milliseconds(fresh);
  o.stale_until = now + milliseconds(stale);
  o.etag = std::string(etag);
  o.fill_seq = fill_seq;
  o.headers = std::string(headers);
  o.no_store = flags == 1;
  o.tags = std::string(tags);
  return cache::Entry::Make(std::move(o));
}

}  // namespace

Result<cache::EntryPtr> DecodeGetReply(std::string_view payload, std::string_view key,
                                       TimePoint now, bool* malformed) {
  bool owner_error = false;
  Result<cache::EntryPtr> r = DecodeGetReplyBody(payload, key, now, owner_error);
  if (malformed != nullptr) *malformed = !r.ok() && !owner_error;
  return r;
}

namespace {

void PutTarget(std::string& out, const PurgeTarget& target) {
  PutU8(out, static_cast<uint8_t>(static_cast<uint8_t>(target.kind) |
                                  (target.soft ? kSoftPurgeBit : 0)));
  PutString(out, target.text);
  PutU64(out, target.stamp.seq);
  PutString(out, target.stamp.origin);
  PutU64(out, target.stamp.incarnation);
  PutU64(out, target.stamp.n);
}

constexpr size_t kMaxAddress = 1024;

// ReadTarget reads a target and its stamp.
std::optional<PurgeTarget> ReadTarget(Reader& r) {
  PurgeTarget t;
  const uint8_t byte = r.U8();
  const uint8_t kind = byte & static_cast<uint8_t>(~kSoftPurgeBit);
  t.soft = (byte & kSoftPurgeBit) != 0;
  t.text = std::string(r.String(kMaxKey));
  t.stamp.seq = r.U64();
  t.stamp.origin = std::string(r.String(kMaxAddress));
  t.stamp.incarnation = r.U64();
  t.stamp.n = r.U64();
  const bool all = kind == static_cast<uint8_t>(PurgeKind::kAll);
  const bool known = all || kind == static_cast<uint8_t>(PurgeKind::kKey) ||
                     kind == static_cast<uint8_t>(PurgeKind::kEndpoint) ||
                     kind == static_cast<uint8_t>(PurgeKind::kTag);
  // Text: none for everything, some for a key, an endpoint or tags. Everything is never soft.
  if (!known || all != t.text.empty() || (all && t.soft)) return std::nullopt;
  if (kind == static_cast<uint8_t>(PurgeKind::kTag) && !WellFormedTags(t.text)) return std::nullopt;
  // A stamp is all or nothing: a sequence with an origin and an n.
  if ((t.stamp.seq == 0) != (t.stamp.n == 0) || (t.stamp.seq == 0) != t.stamp.origin.empty()) {
    return std::nullopt;
  }
  t.kind = static_cast<PurgeKind>(kind);
  return t;
}

}  // namespace

std::string EncodePurge(const PurgeTarget& target) {
  std::string out;
  PutTarget(out, target);
  return out;
}

Result<PurgeTarget> DecodePurge(std::string_view payload) {
  Reader r(payload);
  std::optional<PurgeTarget> t = ReadTarget(r);
  if (!t || !r.Done()) return Malformed("PURGE: truncated, trailing bytes or bad target");
  return *t;
}

std::string EncodePurgeReply(Result<uint64_t> removed) {
  std::string out;
  if (!removed.ok()) {
    PutStatus(out, removed.status());
    return out;
  }
  PutU8(out, static_cast<uint8_t>(StatusCode::kOk));
  PutI64(out, static_cast<int64_t>(*removed));
  return out;
}

Result<uint64_t> DecodePurgeReply(std::string_view payload, bool* malformed) {
  if (malformed != nullptr) *malformed = false;
  auto bad = [malformed](std::string_view what) {
    if (malformed != nullptr) *malformed = true;
    return Malformed(what);
  };
  Reader r(payload);
  const uint8_t code = r.U8();
  if (code != static_cast<uint8_t>(StatusCode::kOk)) {
    std::string_view message = r.String(kMaxMessage);
    if (!r.Done() || !KnownErrorCode(code)) return bad("PURGE reply: bad error");
    return MakeStatus(code, message);
  }
  const int64_t n = r.I64();
  if (!r.Done() || n < 0) return bad("PURGE reply: truncated or trailing bytes");
  return static_cast<uint64_t>(n);
}

}  // namespace shoal::cluster

namespace shoal::cluster {

std::string EncodeSyncRequest(const SyncRequest& request) {
  std::string out;
  PutString(out, request.from);
  PutU64(out, request.from_incarnation);
  PutU64(out, request.max_seen);
  PutU64(out, request.your_incarnation);
  PutU64(out, request.applied_from_you);
  PutU64(out, request.first_n);
  PutU64(out, request.last_n);
  return out;
}

Result<SyncRequest> DecodeSyncRequest(std::string_view payload) {
  Reader r(payload);
  SyncRequest q;
  q.from = std::string(r.String(kMaxAddress));
  q.from_incarnation = r.U64();
  q.max_seen = r.U64();
  q.your_incarnation = r.U64();
  q.applied_from_you = r.U64();
  q.first_n = r.U64();
  q.last_n = r.U64();
  if (!r.Done() || q.from.empty() || q.first_n == 0 || q.first_n > q.last_n + 1) {
    return Malformed("PURGE_SYNC: truncated, trailing bytes or bad range");
  }
  return q;
}

std::string EncodeSyncReply(const Result<SyncReply>& reply) {
  std::string out;
  if (!reply.ok()) {
    PutStatus(out, reply.status());
    return out;
  }
  PutU8(out, static_cast<uint8_t>(StatusCode::kOk));
  PutU64(out, reply->incarnation);
  PutU64(out, reply->max_seen);
  PutU64(out, reply->applied_from_you);
  PutU64(out, reply->last_n);
  PutU8(out, reply->flush ? 1 : 0);
  AppendBigEndian32(out, static_cast<uint32_t>(reply->purges.size()));
  for (const PurgeTarget& t : reply->purges) PutTarget(out, t);
  return out;
}

Result<SyncReply> DecodeSyncReply(std::string_view payload) {
  Reader r(payload);
  const uint8_t code = r.U8();
  if (code != static_cast<uint8_t>(StatusCode::kOk)) {
    std::string_view message = r.String(kMaxMessage);
    if (!r.Done() || !KnownErrorCode(code)) return Malformed("PURGE_SYNC reply: bad error");
    return MakeStatus(code, message);
  }
  SyncReply s;
  s.incarnation = r.U64();
  s.max_seen = r.U64();
  s.applied_from_you = r.U64();
  s.last_n = r.U64();
  const uint8_t flush = r.U8();
  const uint32_t count = r.U32();
  if (flush > 1 || count > kMaxSyncPurges) return Malformed("PURGE_SYNC reply: bad header");
  for (uint32_t i = 0; i < count; ++i) {
    std::optional<PurgeTarget> t = ReadTarget(r);
    if (!t || t->stamp.seq == 0) return Malformed("PURGE_SYNC reply: bad purge");
    s.purges.push_back(std::move(*t));
  }
  if (!r.Done() || s.purges.size() != count) {
    return Malformed("PURGE_SYNC reply: truncated or trailing bytes");
  }
  s.flush = flush == 1;
  return s;
}

}  // namespace shoal::cluster
