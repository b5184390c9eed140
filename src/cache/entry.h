// Entry: one cached answer, immutable once made, shared by every reader.
//
// An Entry owns exactly its bytes: the key, the body (one exactly-sized Bytes), its ETag,
// its response header lines (rare: a page's Link) and, once someone asks for it, a gzip
// variant. It is never a view into a socket or row buffer. Its layout is kept small (issue 18
// item 7): one allocation holds the object, the key and the body (Make allocates the room for
// both after the object); the entry counts its own references (EntryPtr is a
// boost::intrusive_ptr, one pointer wide), so there is no shared_ptr control block; the ETag is
// held in the object; and what most entries lack (header lines, tags, the gzip variant) is in side
// allocations made only when present. So a cached answer is one or two mallocs, not five.
// Deadlines are steady_clock points: fresh until fresh_until, then stale (servable while one
// refresh runs) until stale_until. A negative entry records that the key has no row, so that
// repeated asks for it do not reach the store.
//
// Tags (surrogate keys): the entry's tags, canonical (no byte <= 0x20, no 0x7f: the api
// percent-encodes them like keys), joined by single spaces, so that a Surrogate-Key header is a
// view into the entry. The cache indexes entries by tag (cache.h). An entry marked no_store
// answers its waiters but is kept by no cache (it had more tags than the bound: keeping it
// without all of them would let it survive a purge of a tag it shows).
//
// Soft purge: MarkStale(now) turns a fresh entry stale from `now` on: fresh_until() becomes
// min(fresh_until, now) and stale_until() min(stale_until, now + grace), grace being the
// entry's own stale_until - fresh_until, so that a soft-purged entry is served stale for at
// most its grace and is a miss after. The accessors give these effective deadlines, so every
// reader (the hit path, a peer reply, Cache-Control) sees the purge.
//
// Thread-safety: all const methods may be called concurrently; GzipBody compresses at most once.
// The mutable state besides the gzip variant is the reference count, the cache's used bit
// (MarkUsed/TakeUsed) and the soft-purge stamp (MarkStale; read with acquire, so a purge that
// returned is seen).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/smart_ptr/intrusive_ptr.hpp>

#include "base/bytes.h"
#include "base/clock.h"

namespace shoal::cache {

enum class EntryKind : unsigned char {
  kValue,     // the body is the answer
  kNotFound,  // negative entry: the row does not exist; the body is the 404 JSON
};

struct EntryOptions {
  std::string key;
  EntryKind kind = EntryKind::kValue;
  Bytes body;
  TimePoint created;      // when the answer was loaded from the store (Age counts from here)
  TimePoint fresh_until;  // created + ttl
  TimePoint stale_until;  // fresh_until + grace
  std::string etag;       // quoted strong ETag; computed from the body when empty
  // In a cluster: the purge sequence this node had seen when the load began (0: unknown, or
  // overlapped a purge). A peer keeps a copy only if it is not older than its own purge floor
  // for the key (cluster/purge_sequencer.h). Never read on the hit path.
  uint64_t fill_seq = 0;
  // Response header lines that belong to this answer, each "Name: value\r\n", sent as they
  // are with every answer from the entry (a page's `Link: <...>; rel="next"`, api/page.h).
  // Usually empty. The cache does not read them; the maker checks them.
  std::string headers = {};  // (defaults: designated initialisers may leave these out)
  // Canonical tags joined by single spaces ("item:5 category:books"); see above.
  std::string tags = {};
  bool no_store = false;  // answer the waiters, keep nowhere (too many tags)
};

class Entry;
using EntryPtr = boost::intrusive_ptr<const Entry>;

class Entry {
 public:
  // Make builds a shared, immutable entry. The only way to make one.
  static EntryPtr Make(EntryOptions options);

  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  std::string_view key() const { return {Room(), key_size_}; }
  EntryKind kind() const { return kind_; }
  bool not_found() const { return kind_ == EntryKind::kNotFound; }
  // The body: in the entry's own allocation, after the key; valid as long as the entry.
  std::string_view body() const { return {Room() + key_size_, body_size_}; }
  // The quoted ETag: in the entry itself when it has the 18 characters of StrongEtag's form
  // (always, but for a foreign tag a peer sent, which the cluster then refuses).
  std::string_view etag() const {
    return etag_size_ != 0 ? std::string_view(etag_, etag_size_) : std::string_view(rare_->etag);
  }
  TimePoint created() const { return created_; }
  // The deadlines, moved earlier by a soft purge (MarkStale).
  TimePoint fresh_until() const {
    const Duration::rep soft = soft_.load(std::memory_order_acquire);
    return soft == kNotSoft ? fresh_until_ : std::min(fresh_until_, At(soft));
  }
  TimePoint stale_until() const {
    const Duration::rep soft = soft_.load(std::memory_order_acquire);
    return soft == kNotSoft ? stale_until_
                            : std::min(stale_until_, At(soft) + (stale_until_ - fresh_until_));
  }
  uint64_t fill_seq() const { return fill_seq_; }
  std::string_view headers() const { return rare_ ? std::string_view(rare_->headers) : ""; }
  // The canonical tags joined by spaces ("" when none): the Surrogate-Key header's value.
  std::string_view tags() const { return rare_ ? std::string_view(rare_->tags) : ""; }
  bool no_store() const { return no_store_; }
  // ForEachTag calls fn(tag) for every tag.
  template <typename Fn>
  void ForEachTag(Fn&& fn) const {
    std::string_view rest = tags();
    while (!rest.empty()) {
      const size_t sp = rest.find(' ');
      fn(rest.substr(0, sp));
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
  }

  bool IsFresh(TimePoint now) const { return now < fresh_until(); }
  // IsServable is true while fresh or within the grace period.
  bool IsServable(TimePoint now) const { return now < stale_until(); }
  // MarkStale is a soft purge (see above): stale from `now` on. Returns false when the entry
  // was already marked (the first mark stands).
  bool MarkStale(TimePoint now) const {
    Duration::rep expected = kNotSoft;
    return soft_.compare_exchange_strong(expected, now.time_since_epoch().count(),
                                         std::memory_order_acq_rel);
  }
  bool soft_purged() const { return soft_.load(std::memory_order_acquire) != kNotSoft; }

  // CopyOptions: options that make an equal entry (the body shared, the tags copied), with its
  // effective deadlines; for the cluster's copies (a fill sequence, clamped lifetimes).
  EntryOptions CopyOptions() const;

  // GzipBody returns the gzip-compressed body, compressing it on the first call (one caller
  // compresses, concurrent callers wait for it). `*made` is set when this call did the work,
  // so that the caller can charge the new bytes to the cache.
  const Bytes& GzipBody(bool* made = nullptr) const;
  // GzipEtag is the gzip variant's own strong ETag (GzipEtag(etag()) below), made with it:
  // valid once GzipBody has returned a non-empty body ("" before).
  std::string_view GzipEtag() const;
  // GzipCharge is what the gzip variant adds to the entry's charge once made (0 before).
  size_t GzipCharge() const;

  // Charge is what the entry costs the cache without a gzip variant: key, body, ETag, header
  // lines, tags, the object itself and allocator overhead (the tag index's share is the
  // cache's: TagCharge).
  size_t BaseCharge() const;

  // The cache's "used since eviction last passed it" bit (CLOCK, see cache.h: a hit sets it,
  // eviction clears it and gives the entry another lap). MarkUsed writes only when the bit is
  // clear, so a hot entry's line stays shared between cores.
  void MarkUsed() const {
    if (!used_.load(std::memory_order_relaxed)) used_.store(true, std::memory_order_relaxed);
  }
  bool TakeUsed() const { return used_.exchange(false, std::memory_order_relaxed); }

  // The reference count, for EntryPtr (boost::intrusive_ptr finds these by ADL). A new
  // reference needs no ordering (it is made from one already held); the last release must see
  // every write made through the others before it frees (acq_rel), as shared_ptr's does.
  // NOLINTNEXTLINE(readability-identifier-naming): the names boost::intrusive_ptr calls
  friend void intrusive_ptr_add_ref(const Entry* e) {
    e->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  // NOLINTNEXTLINE(readability-identifier-naming)
  friend void intrusive_ptr_release(const Entry* e) {
    if (e->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Destroy(e);
  }
  // RefCount: the references held now (tests).
  uint32_t RefCount() const { return refs_.load(std::memory_order_relaxed); }

 private:
  // Make's: copies the key and the body into the room after the object.
  explicit Entry(EntryOptions&& options);
  ~Entry() = default;
  static void Destroy(const Entry* entry);
  // The room after the object, in its allocation: the key, then the body.
  const char* Room() const { return reinterpret_cast<const char*>(this + 1); }  // NOLINT

  // What few entries have (a page's Link header, tags, an ETag not of StrongEtag's form): one
  // allocation made only when there is any, so that the common entry does not carry three
  // empty strings.
  struct Rare {
    std::string headers;
    std::string tags;
    std::string etag;
  };
  // The gzip variant, made by the first GzipBody (under gzip_once_) and read after it.
  struct Gzipped {
    Bytes body;
    std::string etag;
  };
  static constexpr size_t kEtagInline = 18;  // "\"" + 16 hex digits + "\""

  // The count, the key's size and the used bit first: a hit touches all three, so they share
  // the first line with the ETag and the soft-purge stamp. Packed so that the object is 96
  // bytes: the key and the body are each under 4 GiB (rows and frames are capped far lower).
  mutable std::atomic<uint32_t> refs_{0};
  uint32_t key_size_;
  EntryKind kind_;
  mutable std::atomic<bool> used_{false};
  bool no_store_ = false;
  uint8_t etag_size_ = 0;  // 0: the ETag is rare_->etag
  char etag_[kEtagInline];
  uint32_t body_size_;
  mutable std::once_flag gzip_once_;
  // The soft purge's time (steady ticks), kNotSoft when none; the hit path reads it.
  static constexpr Duration::rep kNotSoft = std::numeric_limits<Duration::rep>::min();
  static TimePoint At(Duration::rep ticks) { return TimePoint(Duration(ticks)); }
  mutable std::atomic<Duration::rep> soft_{kNotSoft};
  TimePoint created_, fresh_until_, stale_until_;
  uint64_t fill_seq_;  // the hit path never reads it, nor what follows
  std::unique_ptr<const Rare> rare_;
  mutable std::unique_ptr<const Gzipped> gzip_;
};

// StrongEtag returns the quoted ETag that Make derives from a body, e.g. "\"9f2c...\"".
std::string StrongEtag(std::string_view body);

// GzipEtag returns the ETag of the gzip variant of a body tagged `etag`: "-gz" inside the
// quotes ("\"9f2c\"" -> "\"9f2c-gz\""), so that the two representations never share a strong
// tag (RFC 9110 8.8.3). "" when `etag` is not a quoted tag.
std::string GzipEtag(std::string_view etag);

}  // namespace shoal::cache
