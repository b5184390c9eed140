#include "cluster/messages.h"

#include <chrono>
#include <cstring>
#include <utility>

#include "base/big_endian.h"
#include "cluster/message_reader.h"

namespace shoal::cluster {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using wire::PutI64;
using wire::PutString;
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

bool IsWellFormedEtag(std::string_view etag) {
  if (etag.size() != 18 || etag.front() != '"' || etag.back() != '"') return false;
  for (const char c : etag.substr(1, 16)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string EncodeGet(std::string_view key) {
  std::string out;
  PutString(out, key);
  return out;
}

Result<std::string_view> DecodeGet(std::string_view payload) {
  Reader r(payload);
  std::string_view key = r.String(kMaxKey);
  if (!r.Done() || key.empty()) return Malformed("GET: expected one non-empty key");
  return key;
}

std::string EncodeEntryReply(const cache::Entry& entry, TimePoint now) {
  std::string out;
  out.reserve(64 + entry.etag().size() + entry.body().size());
  PutU8(out, static_cast<uint8_t>(StatusCode::kOk));
  PutU8(out, static_cast<uint8_t>(entry.kind()));
  PutI64(out, Millis(now - entry.created()));
  PutI64(out, Millis(entry.fresh_until() - now));
  PutI64(out, Millis(entry.stale_until() - now));
  PutString(out, entry.etag());
  PutString(out, entry.body().view());
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
  if (!r.Done()) return Malformed("GET reply: truncated or trailing bytes");
  if (kind != static_cast<uint8_t>(cache::EntryKind::kValue) &&
      kind != static_cast<uint8_t>(cache::EntryKind::kNotFound)) {
    return Malformed("GET reply: unknown entry kind");
  }
  if (age < 0 || age > kMaxMillis || fresh < -kMaxMillis || fresh > kMaxMillis || stale < fresh ||
      stale > kMaxMillis) {
    return Malformed("GET reply: deadlines out of range");
  }
  if (!IsWellFormedEtag(etag)) return Malformed("GET reply: ETag is not a quoted 16-digit hex");
  cache::EntryOptions o;
  o.key = std::string(key);
  o.kind = static_cast<cache::EntryKind>(kind);
  o.body = Bytes::Copy(body);
  o.created = now - milliseconds(age);
  o.fresh_until = now + milliseconds(fresh);
  o.stale_until = now + milliseconds(stale);
  o.etag = std::string(etag);
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

std::string EncodePurge(const PurgeTarget& target) {
  std::string out;
  PutU8(out, static_cast<uint8_t>(target.kind));
  PutString(out, target.text);
  return out;
}

Result<PurgeTarget> DecodePurge(std::string_view payload) {
  Reader r(payload);
  const uint8_t kind = r.U8();
  std::string_view text = r.String(kMaxKey);
  if (!r.Done() || text.empty()) return Malformed("PURGE: truncated or trailing bytes");
  if (kind != static_cast<uint8_t>(PurgeKind::kKey) &&
      kind != static_cast<uint8_t>(PurgeKind::kEndpoint)) {
    return Malformed("PURGE: unknown target kind");
  }
  return PurgeTarget{static_cast<PurgeKind>(kind), std::string(text)};
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
