// Loader: the seam through which a cache miss becomes an Entry (groupcache's Getter).
//
// The api implements it against a Store (query, rows, JSON, Entry); the cluster layer will
// wrap one Loader in another that sends the key to its owner. A Loader knows how to load any
// key of the key space from the key alone, so a key can travel between nodes.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "cache/entry.h"

namespace shoal::cache {

// LoadCallback receives the loaded entry (a negative entry when the row does not exist) or
// the error that prevented loading.
using LoadCallback = std::function<void(Result<EntryPtr>)>;

class Loader {
 public:
  virtual ~Loader() = default;
  // Load calls `done` exactly once, on any thread, possibly before returning.
  // Thread-safe: called concurrently for different keys.
  virtual void Load(std::string key, LoadCallback done) = 0;
};

}  // namespace shoal::cache
