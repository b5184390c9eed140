#include "cache/entry.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include <zlib.h>

#include "base/hash.h"

namespace shoal::cache {
namespace {

// Gzip compresses `in` into a gzip member (RFC 1952) at zlib's default level: made once per
// entry, so the better ratio is worth more than the CPU.
Bytes Gzip(std::string_view in) {
  z_stream zs{};
  // windowBits 15 + 16 asks zlib for the gzip wrapper instead of the zlib one.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return {};
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  // zlib's API takes non-const pointers but does not write through next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));  // NOLINT
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  return Bytes::Copy(std::string_view(out.data(), written));
}

}  // namespace

std::string StrongEtag(std::string_view body) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(Hash64(body)));
  return buf;
}

std::string GzipEtag(std::string_view etag) {
  if (etag.size() < 2 || etag.back() != '"') return "";
  std::string out(etag.substr(0, etag.size() - 1));
  out += "-gz\"";
  return out;
}

Entry::Entry(EntryOptions&& o)
    : key_size_(static_cast<uint32_t>(o.key.size())),
      kind_(o.kind),
      no_store_(o.no_store),
      etag_{},
      body_size_(static_cast<uint32_t>(o.body.size())),
      created_(o.created),
      fresh_until_(o.fresh_until),
      stale_until_(o.stale_until),
      fill_seq_(o.fill_seq) {
  char* bytes = reinterpret_cast<char*>(this + 1);  // NOLINT: Make's room after the object
  // Bytes, not C strings: nothing here is NUL-terminated.
  std::copy(o.key.begin(), o.key.end(), bytes);
  const std::string_view body_in = o.body.view();
  std::copy(body_in.begin(), body_in.end(), bytes + o.key.size());
  std::string etag = o.etag.empty() ? StrongEtag(body()) : std::move(o.etag);
  const bool inline_etag = etag.size() == kEtagInline;
  if (inline_etag) {
    std::memcpy(etag_, etag.data(), kEtagInline);
    etag_size_ = kEtagInline;
  }
  if (!inline_etag || !o.headers.empty() || !o.tags.empty()) {
    rare_ =
        std::make_unique<const Rare>(Rare{.headers = std::move(o.headers),
                                          .tags = std::move(o.tags),
                                          .etag = inline_etag ? std::string() : std::move(etag)});
  }
}

EntryOptions Entry::CopyOptions() const {
  EntryOptions o;
  o.key = std::string(key());
  o.kind = kind_;
  o.body = Bytes::Copy(body());
  o.created = created_;
  o.fresh_until = fresh_until();
  o.stale_until = stale_until();
  o.etag = std::string(etag());
  o.fill_seq = fill_seq_;
  o.headers = std::string(headers());
  o.tags = std::string(tags());
  o.no_store = no_store_;
  return o;
}

EntryPtr Entry::Make(EntryOptions options) {
  // One allocation: the object, then the key and the body (Room()). operator new's alignment
  // suits the object, and an object's size is a multiple of its alignment, so the room starts
  // right after it.
  void* memory = ::operator new(sizeof(Entry) + options.key.size() + options.body.size());
  try {
    return EntryPtr(new (memory) Entry(std::move(options)));
  } catch (...) {  // the side allocation's bad_alloc
    ::operator delete(memory);
    throw;
  }
}

void Entry::Destroy(const Entry* entry) {
  entry->~Entry();
  ::operator delete(const_cast<Entry*>(entry));  // NOLINT: the object is being freed
}

const Bytes& Entry::GzipBody(bool* made) const {
  if (made != nullptr) *made = false;
  std::call_once(gzip_once_, [this, made] {
    Bytes body = Gzip(this->body());
    std::string tag = body.empty() ? std::string() : cache::GzipEtag(etag());
    gzip_ =
        std::make_unique<const Gzipped>(Gzipped{.body = std::move(body), .etag = std::move(tag)});
    if (made != nullptr) *made = true;
  });
  return gzip_->body;
}

// Readers of gzip_ come after a GzipBody on their own thread (call_once orders them), or ask
// before any was made and see null: the pointer is written once, inside the call_once.
std::string_view Entry::GzipEtag() const { return gzip_ ? std::string_view(gzip_->etag) : ""; }

namespace {

// HeapOf is what a string holds on the heap beyond its object: its buffer when longer than
// the small-string one (15 bytes in libstdc++), with malloc's header.
size_t HeapOf(const std::string& s) { return s.size() > 15 ? s.capacity() + 1 + 8 : 0; }

}  // namespace

size_t Entry::GzipCharge() const {
  if (!gzip_ || gzip_->body.empty()) return 0;
  return sizeof(Gzipped) + 16 + gzip_->body.size() + Bytes::kOverhead + HeapOf(gzip_->etag);
}

size_t Entry::BaseCharge() const {
  // The one allocation: the object, the key and the body, with malloc's header (8) and its
  // rounding (8 on average); and the side allocation when there is one.
  constexpr size_t kMalloc = 16;
  size_t charge = kMalloc + sizeof(Entry) + key_size_ + body_size_;
  if (rare_) {
    charge += sizeof(Rare) + 8 + HeapOf(rare_->headers) + HeapOf(rare_->tags) + HeapOf(rare_->etag);
  }
  return charge;
}

}  // namespace shoal::cache
