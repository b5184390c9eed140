// StoreLoader: the cache::Loader that answers a miss from the Store.
//
// Load(key) parses the canonical key back into an endpoint and bound values (Router::MatchKey),
// runs the endpoint's prepared query with a deadline store_timeout from now (real steady
// time: that is the store's time base; the Clock only dates entries), renders the rows
// as JSON and hands back an Entry:
//   result one:  the first row as an object {column: value, ...}; no row is a negative entry
//                (EntryKind::kNotFound, body {"error":"not found","status":404}) that lives
//                min(ttl, negative_ttl), plus grace like any other;
//   result many: an array of such objects, possibly [].
// Cells: NULL is null, integers and reals are numbers (a real that is not finite is null),
// text is a string, a blob is a base64 string. A `json:` column's text is embedded as is when
// it is valid JSON and sent as a string when not, so the body is always valid JSON.
// Deadlines: created = now, fresh_until = now + ttl, stale_until = fresh_until + grace.
// Store errors are passed through unchanged; a key that does not parse is InvalidArgument.
//
// Ownership: shares the Router; borrows the Store and the Clock, which must outlive every
// load (ReadThrough::Shutdown waits for loads, and cli destroys it before the store and
// clock). The query callback owns what it uses (router, key, callback) and never touches
// the StoreLoader itself. Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <string>

#include "api/endpoint.h"
#include "api/router.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "cache/loader.h"
#include "store/store.h"

namespace shoal::api {

// RenderRows renders `rows` as endpoint `info` says (an object for result one, an array for
// many) and returns the JSON text. For result one with no row it returns "" (not found).
std::string RenderRows(const EndpointInfo& info, const store::Rows& rows);

class StoreLoader final : public cache::Loader {
 public:
  // Only the timing knobs of `options` are used (grace, negative_ttl, store_timeout).
  StoreLoader(std::shared_ptr<const Router> router, store::Store& store, const Clock& clock,
              const ApiOptions& options);

  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override;

 private:
  struct Timing {
    Duration grace;
    Duration negative_ttl;
    Duration store_timeout;
  };

  const std::shared_ptr<const Router> router_;
  store::Store& store_;
  const Clock& clock_;
  const Timing timing_;
};

}  // namespace shoal::api
