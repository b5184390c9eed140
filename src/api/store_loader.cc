// StoreLoader: key -> query -> JSON -> Entry; see store_loader.h.
#include "api/store_loader.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <variant>

#include "api/json_writer.h"
#include "http/handler.h"

namespace shoal::api {
namespace {

void WriteCell(JsonWriter& w, const store::Value& v, bool json_column) {
  if (std::holds_alternative<std::monostate>(v)) {
    w.Null();
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    w.Int(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    w.Double(*d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    if (json_column && IsValidJson(*s)) {
      w.Raw(*s);
    } else {
      w.String(*s);
    }
  } else if (const auto* b = std::get_if<store::Blob>(&v)) {
    w.Base64(b->bytes);
  } else if (const auto* j = std::get_if<store::Json>(&v)) {
    w.Raw(j->text);
  }
}

void WriteRow(JsonWriter& w, const EndpointInfo& info, const store::Rows& rows,
              const store::Row& row) {
  w.BeginObject();
  const size_t n = std::min(rows.columns.size(), row.size());
  for (size_t c = 0; c < n; ++c) {
    w.Key(rows.columns[c]);
    WriteCell(w, row[c], c < info.json_column.size() && info.json_column[c]);
  }
  w.EndObject();
}

}  // namespace

std::string RenderRows(const EndpointInfo& info, const store::Rows& rows) {
  std::string out;
  JsonWriter w(out);
  if (info.result == ResultShape::kOne) {
    if (rows.rows.empty()) return out;
    WriteRow(w, info, rows, rows.rows.front());
    return out;
  }
  w.BeginArray();
  for (const store::Row& row : rows.rows) WriteRow(w, info, rows, row);
  w.EndArray();
  return out;
}

StoreLoader::StoreLoader(std::shared_ptr<const Router> router, store::Store& store,
                         const Clock& clock, const ApiOptions& options)
    : router_(std::move(router)),
      store_(store),
      clock_(clock),
      timing_{options.grace, options.negative_ttl, options.store_timeout} {}

void StoreLoader::Load(std::string key, cache::Scope /*scope*/, cache::LoadCallback done) {
  Result<RouteMatch> match = router_->MatchKey(key);
  if (!match.ok()) {
    done(match.status(), cache::Keep::kMain);
    return;
  }
  const size_t endpoint = match->endpoint;
  const size_t statement = router_->endpoint(endpoint).statement;
  // The store measures deadlines on the real steady clock, not on the injected Clock (which
  // governs entry lifetimes and, in tests, stands still at an arbitrary point).
  const TimePoint deadline = std::chrono::steady_clock::now() + timing_.store_timeout;
  // The callback runs on a store thread, possibly after this call returns: it owns the
  // router, the key and `done`, and borrows only the clock.
  store_.Query(statement, std::move(match->values), deadline,
               [router = router_, endpoint, clock = &clock_, timing = timing_, key = std::move(key),
                done = std::move(done)](Result<store::Rows> rows) mutable {
                 if (!rows.ok()) {
                   done(rows.status(), cache::Keep::kMain);
                   return;
                 }
                 const EndpointInfo& info = router->endpoint(endpoint);
                 cache::EntryOptions o;
                 o.key = std::move(key);
                 o.created = clock->Now();
                 std::string body = RenderRows(info, *rows);
                 Duration ttl = info.ttl;
                 if (body.empty()) {  // result one, no row: remember the absence briefly
                   o.kind = cache::EntryKind::kNotFound;
                   o.body = http::ErrorBody(404, "not found");
                   ttl = std::min(ttl, timing.negative_ttl);
                 } else {
                   o.body = Bytes::Copy(body);  // exactly sized: `body` may have spare room
                 }
                 o.fresh_until = o.created + ttl;
                 o.stale_until = o.fresh_until + timing.grace;
                 done(cache::Entry::Make(std::move(o)), cache::Keep::kMain);
               });
}

}  // namespace shoal::api
