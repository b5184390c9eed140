// StoreLoader: the cache::Loader that answers a miss from the Store.
//
// Load(key) parses the canonical key back into an endpoint and bound values (Router::MatchKey),
// runs the endpoint's prepared query with a deadline store_timeout from now (real steady
// time: that is the store's time base; the Clock only dates entries), renders the rows
// as JSON and hands back an Entry:
//   result one:  the first row as an object {column: value, ...}; no row is a negative entry
//                (EntryKind::kNotFound, body {"error":"not found","status":404}) that lives
//                min(ttl, negative_ttl), plus grace like any other;
//   result many: an array of such objects, possibly [];
//   a paged endpoint (page.h): the first `limit` rows of the limit + 1 read (checked to be
//                strictly ordered by page.by), and, when the extra row came, the next page's
//                `Link: <...>; rel="next"` line in the entry's headers (cache::Entry).
// Cells: NULL is null, integers and reals are numbers (a real that is not finite is null),
// text is a string, a blob is a base64 string. A `json:` column's text is embedded as is when
// it is valid JSON and sent as a string when not, so the body is always valid JSON.
// Deadlines: created = now, fresh_until = now + ttl, stale_until = fresh_until + grace.
// Tags: the endpoint's templates (tag_template.h) applied to the key's parameter values and
// the rows, into Entry::tags. An answer with more than ApiOptions::max_tags_per_entry distinct
// tags (or a tag over 1,024 bytes) is marked no_store: served to its waiters, kept nowhere
// (shoal_tags_overflow_total; logged once per endpoint and config).
// Caps: each query carries store::QueryLimits: the endpoint's max_rows and max_body, or
// ApiOptions' when it sets none, and first_row_only for result one (the store reads one row,
// not every match). The store stops reading at a cap (AnswerTooLarge, counted in cell bytes,
// store.h); the rendered JSON is then measured exactly against max_body. An answer over a cap
// is an operator's fault (a query matching more than meant, or a cap too small): Internal, a
// bare 500 {"error":"internal error"}, logged as below with the route and which cap.
// Store errors: Unavailable, DeadlineExceeded, ResourceExhausted and Cancelled pass through
// (a 503, or the stale entry). InvalidArgument passes through too: at query time a store
// returns it only for the caller's input (store.h: a parameter that is not valid UTF-8, an
// empty partition key), with a message written for the client that names the parameter and
// nothing of the database; it is a 400 and is not logged. Every other code (Internal, and
// NotFound, which at query time means a query or schema the operator must fix, or our bug)
// becomes Internal, which reaches the client as a bare 500 (status_http.h), and is logged at
// error level with the route, the query text and the store's message (which names the node),
// at most once per kLogInterval per endpoint, since a broken query fails on every request. A
// key that does not parse is InvalidArgument (keys come from the Router, so that is a peer's
// or our bug).
//
// Reload: the StoreLoader reads the endpoints and the load policy from a LiveServing
// (serving.h), which a config reload replaces. A load takes the snapshot current when it
// starts and keeps it to the end (its query, caps, ttl and grace are that snapshot's).
//
// Ownership: shares the LiveServing; borrows the Store and the Clock, which must outlive every
// load (ReadThrough::Shutdown waits for loads, and cli destroys it before the store and
// clock). The query callback owns what it uses (the snapshot, key, callback) and never
// touches the StoreLoader itself. Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/endpoint.h"
#include "api/router.h"
#include "api/serving.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "cache/loader.h"
#include "store/store.h"

namespace shoal::api {

// RenderRows renders `rows` as endpoint `info` says (an object for result one, an array for
// many: of the first `max_rows` rows) and returns the JSON text. For result one with no row
// it returns "" (not found).
std::string RenderRows(const EndpointInfo& info, const store::Rows& rows,
                       size_t max_rows = SIZE_MAX);

// StoreErrorForClient is what a store's query error becomes on its way to the cache: the
// codes of a store that is down, slow or shutting down stay, and so does InvalidArgument (the
// caller's input); an answer over its cap (store::IsAnswerTooLarge) and every other code
// become Internal (same message, which is for the log only).
Status StoreErrorForClient(const Status& status);

class StoreLoader final : public cache::Loader {
 public:
  // kLogInterval: a failing endpoint's query is logged at most once per interval (the first
  // line after a quiet stretch says how many were dropped).
  static constexpr Duration kLogInterval = std::chrono::seconds(10);

  // Used from `options`: the timing knobs (grace, negative_ttl, store_timeout, and each
  // endpoint's own: Serving::policies), the logger,
  // and the answer caps (max_rows, max_body, and each endpoint's own). REQUIRES: `options` is
  // what `router` was built from (endpoints in the same order). The endpoints never change.
  StoreLoader(std::shared_ptr<const Router> router, store::Store& store, const Clock& clock,
              const ApiOptions& options);
  // Reads the endpoints and policy from `serving`, which a reload may replace.
  StoreLoader(std::shared_ptr<LiveServing> serving, store::Store& store, const Clock& clock);

  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override;
  // GroupOf is the purge group of the key's endpoint (EndpointInfo::group, by
  // Router::EndpointOfKey in the current snapshot; 0 for a key of no endpoint), so that
  // PurgeLocal invalidates one endpoint with ReadThrough::PurgeGroup.
  uint32_t GroupOf(std::string_view key) const override;
  // PolicyOf adds the endpoint's own cache policy (Serving::policies: `cache: false`,
  // stale_if_error); a key of no endpoint gets the default.
  cache::KeyPolicy PolicyOf(std::string_view key) const override;

 private:
  const std::shared_ptr<LiveServing> serving_;
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace shoal::api
