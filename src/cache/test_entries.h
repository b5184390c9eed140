// MakeEntry for the cache's tests: an entry of `body_size` bytes of `fill`, fresh for 60 s
// from the epoch of TimePoint and servable 60 s more. Test-only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

#include "cache/entry.h"

namespace shoal::cache::testing {

inline EntryPtr MakeEntry(std::string key, size_t body_size, char fill = 'x') {
  EntryOptions o;
  o.key = std::move(key);
  o.body = Bytes::Copy(std::string(body_size, fill));
  o.created = TimePoint();
  o.fresh_until = o.created + std::chrono::seconds(60);
  o.stale_until = o.fresh_until + std::chrono::seconds(60);
  return Entry::Make(std::move(o));
}

}  // namespace shoal::cache::testing
