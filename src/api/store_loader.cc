// StoreLoader: key -> query -> JSON -> Entry; see store_loader.h.
#include "api/store_loader.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "api/json_check.h"
#include "api/json_writer.h"
#include "api/router_internal.h"
#include "api/tag_template.h"
#include "base/logger.h"
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

Status StoreErrorForClient(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
    case StatusCode::kResourceExhausted:
      // An answer over its cap is the operator's to fix (the query or the cap), not a load.
      if (store::IsAnswerTooLarge(status)) return Status::Internal(std::string(status.message()));
      return status;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
    case StatusCode::kInvalidArgument:  // the caller's input, in a message written for it
      return status;
    case StatusCode::kNotFound:
      break;
  }
  return Status::Internal(std::string(status.message()));
}

namespace {

// ForClient is StoreErrorForClient(status), logging an Internal one (rate-limited per
// endpoint) with the route and the query text.
Status ForClient(const Serving& serving, size_t endpoint, const Status& status) {
  Status out = StoreErrorForClient(status);
  if (out.code() == StatusCode::kInternal && serving.log.Enabled(LogLevel::kError)) {
    const EndpointInfo& info = serving.router->endpoint(endpoint);
    serving.fault_limiters[endpoint]->Write(serving.log, LogLevel::kError,
                                            "query of endpoint " + info.route +
                                                " failed: " + std::string(out.message()) +
                                                "; query: " + info.query);
  }
  return out;
}

// SetTags computes the answer's tags (tag_template.h) into `o`. Over the bound, the answer is
// served but kept nowhere (no_store): a cached answer without all its tags could survive a
// purge of one it shows. Counted, and logged once per endpoint.
void SetTags(const Serving& serving, size_t endpoint, const store::Rows* rows,
             cache::EntryOptions& o) {
  const EndpointInfo& info = serving.router->endpoint(endpoint);
  size_t count = 0;
  bool overflow = false;
  o.tags = ComputeTags(info.tags, KeyParamValues(serving.router->compiled(endpoint), o.key), rows,
                       serving.max_tags_per_entry, &count, &overflow);
  if (!overflow) return;
  o.tags.clear();
  o.no_store = true;
  if (serving.tags_overflow != nullptr) serving.tags_overflow->Add();
  if (!serving.tags_overflow_logged[endpoint].exchange(true, std::memory_order_relaxed)) {
    serving.log.Warn("endpoint " + info.route + ": an answer has more than " +
                     std::to_string(serving.max_tags_per_entry) +
                     " tags (or a tag over 1024 bytes), so it is served but not cached; raise "
                     "cache.max_tags_per_entry or narrow the tags (logged once)");
  }
}

}  // namespace

std::string RenderRows(const EndpointInfo& info, const store::Rows& rows, size_t max_rows) {
  std::string out;
  JsonWriter w(out);
  if (info.result == ResultShape::kOne) {
    if (rows.rows.empty()) return out;
    WriteRow(w, info, rows, rows.rows.front());
    return out;
  }
  w.BeginArray();
  const size_t n = std::min(max_rows, rows.rows.size());
  for (size_t i = 0; i < n; ++i) WriteRow(w, info, rows, rows.rows[i]);
  w.EndArray();
  return out;
}

StoreLoader::StoreLoader(std::shared_ptr<const Router> router, store::Store& store,
                         const Clock& clock, const ApiOptions& options)
    : StoreLoader(MakeLiveServing(std::move(router), options), store, clock) {}

StoreLoader::StoreLoader(std::shared_ptr<LiveServing> serving, store::Store& store,
                         const Clock& clock)
    : serving_(std::move(serving)), store_(store), clock_(clock) {}

uint32_t StoreLoader::GroupOf(std::string_view key) const {
  const std::shared_ptr<const Serving> s = serving_->Current();
  const std::optional<size_t> i = s->router->EndpointOfKey(key);
  return i ? s->router->endpoint(*i).group : 0;
}

cache::KeyPolicy StoreLoader::PolicyOf(std::string_view key) const {
  const std::shared_ptr<const Serving> s = serving_->Current();
  const std::optional<size_t> i = s->router->EndpointOfKey(key);
  if (!i) return {};
  const CachePolicy& p = s->policies[*i];
  return cache::KeyPolicy{s->router->endpoint(*i).group, p.keep, p.stale_if_error};
}

void StoreLoader::Load(std::string key, cache::Scope /*scope*/, cache::LoadCallback done) {
  std::shared_ptr<const Serving> serving = serving_->Current();
  Result<RouteMatch> match = serving->router->MatchKey(key);
  if (!match.ok()) {
    done(match.status(), cache::Keep::kMain);
    return;
  }
  const size_t endpoint = match->endpoint;
  const size_t statement = serving->router->endpoint(endpoint).statement;
  // The store measures deadlines on the real steady clock, not on the injected Clock (which
  // governs entry lifetimes and, in tests, stands still at an arbitrary point).
  const TimePoint deadline = std::chrono::steady_clock::now() + serving->store_timeout;
  // The callback runs on a store thread, possibly after this call returns: it owns the
  // snapshot (router, policy, fault log), the key and `done`, and borrows only the clock.
  const store::QueryLimits limits = serving->limits[endpoint];
  store_.Query(
      statement, std::move(match->values), limits, deadline,
      [serving = std::move(serving), endpoint, clock = &clock_, max_body = limits.max_bytes,
       page_limit = match->page_limit, key = std::move(key),
       done = std::move(done)](Result<store::Rows> rows) mutable {
        if (!rows.ok()) {
          done(ForClient(*serving, endpoint, rows.status()), cache::Keep::kMain);
          return;
        }
        const EndpointInfo& info = serving->router->endpoint(endpoint);
        cache::EntryOptions o;
        size_t render = rows->rows.size();
        if (info.page) {  // at most limit rows, and the next page's Link (page.h)
          Result<PageCut> cut = CutPage(*info.page, info.interned_route, key, *rows, page_limit);
          if (!cut.ok()) {
            done(ForClient(*serving, endpoint, cut.status()), cache::Keep::kMain);
            return;
          }
          render = cut->rows;
          o.headers = std::move(cut->link);
        }
        o.key = std::move(key);
        o.created = clock->Now();
        std::string body = RenderRows(info, *rows, render);
        if (body.size() > max_body) {  // the store counted cells; this is the JSON
          done(ForClient(*serving, endpoint,
                         store::AnswerTooLarge(std::to_string(body.size()) +
                                               " bytes of JSON, over " + std::to_string(max_body))),
               cache::Keep::kMain);
          return;
        }
        Duration ttl = info.ttl;
        if (body.empty()) {  // result one, no row: remember the absence briefly
          o.kind = cache::EntryKind::kNotFound;
          o.body = http::ErrorBody(404, "not found");
          ttl = std::min(ttl, serving->policies[endpoint].negative_ttl);
        } else {
          o.body = Bytes::Copy(body);  // exactly sized: `body` may have spare room
        }
        o.fresh_until = o.created + ttl;
        o.stale_until = o.fresh_until + serving->policies[endpoint].grace;
        if (!info.tags.empty()) SetTags(*serving, endpoint, body.empty() ? nullptr : &*rows, o);
        done(cache::Entry::Make(std::move(o)), cache::Keep::kMain);
      });
}

}  // namespace shoal::api
