// Loader: the seam through which a cache miss becomes an Entry (groupcache's Getter).
//
// The api implements it against a Store (query, rows, JSON, Entry); the cluster layer wraps
// that Loader in one that sends the key to its owner node. A Loader knows how to load any key
// of the key space from the key alone, so a key can travel between nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "cache/entry.h"

namespace shoal::cache {

// Scope says how far a load may go for its key.
enum class Scope : unsigned char {
  kCluster,  // wherever the key is owned: this node's store, or its owner node
  kLocal,    // this node's own store only: the request came from a peer and must not be
             // forwarded again, or two nodes that disagree about the owner would wait on
             // each other (a known hang in groupcache's forks)
};

// Keep says where ReadThrough keeps a loaded entry on this node. kHot and kNone mean the entry
// is another node's answer: ReadThrough reports such a load as Source::kPeer.
enum class Keep : unsigned char {
  kMain,  // the main cache: keys this node owns, or had to load itself
  kHot,   // the hot cache: a copy of another node's key that is asked for often here
  kNone,  // nowhere: the answer goes to the waiters only (another node owns the key)
};

// KeyPolicy is what ReadThrough does with a key's loaded entries, as the Loader says (the
// api's per-endpoint policy; the cache knows nothing of endpoints).
struct KeyPolicy {
  uint32_t group = 0;  // the purge group (Loader::GroupOf)
  // false: a loaded entry answers its flight's waiters and is never kept (the api's
  // `cache: false`): every miss loads, concurrent ones still share one load.
  bool keep = true;
  // How long past its freshness an older entry may stand in for a failed load; unset:
  // ReadThroughOptions::stale_if_error.
  std::optional<Duration> stale_if_error;
};

// LoadCallback receives the loaded entry (a negative entry when the row does not exist) or
// the error that prevented loading, and where to keep the entry.
using LoadCallback = std::function<void(Result<EntryPtr>, Keep)>;

class Loader {
 public:
  virtual ~Loader() = default;

  // IsLocal reports whether a kCluster load of `key` would use this node's own store. A single
  // node always does; a cluster node does for the keys it owns. Cheap; takes no lock that a
  // LoadCallback may hold.
  virtual bool IsLocal(std::string_view /*key*/) const { return true; }

  // GroupOf is the purge group of `key` (Cache::Insert, ReadThrough::PurgeGroup): the api's
  // endpoint's group (numbered by route, stable across reloads), so that one endpoint's
  // entries can be invalidated at once. The same key must get the same group as long as the
  // endpoints do not change (a config reload purges the groups whose keys it moves). Cheap;
  // takes no lock but a leaf one (the api's copies its endpoint snapshot under one), never one
  // a LoadCallback may hold. Default: one group, 0.
  virtual uint32_t GroupOf(std::string_view /*key*/) const { return 0; }

  // PolicyOf is `key`'s KeyPolicy, asked once per finished load (its group is GroupOf's).
  // Same rules as GroupOf: cheap, a leaf lock at most. Default: GroupOf, kept, the
  // ReadThrough's stale_if_error.
  virtual KeyPolicy PolicyOf(std::string_view key) const {
    KeyPolicy policy;
    policy.group = GroupOf(key);
    return policy;
  }

  // OwnerOf names the node that owns `key` (its peer address, interned: base/interned.h, so
  // the view stays valid for the process's lifetime), for the access log; "" when keys have
  // no owner elsewhere (a single node). Cheap; thread-safe. Default: "".
  virtual std::string_view OwnerOf(std::string_view /*key*/) const { return {}; }

  // Load calls `done` exactly once, on any thread, possibly before returning.
  // Thread-safe: called concurrently for different keys.
  virtual void Load(std::string key, Scope scope, LoadCallback done) = 0;
};

}  // namespace shoal::cache
