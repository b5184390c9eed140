// libFuzzer target: what a client's request target and an operator's purge body become in the
// api: the Router's matching and canonical key (api/router.h: percent-decoding, parameter
// checks, ignored parameters, the page cursor) and ParsePurgeRequest (api/purge_request.h),
// over the catalog endpoints of the api tests (api/test_catalog.h, a real SQLite file made
// once) plus a paged endpoint and ignore_params "utm_*". The first input byte picks the mode;
// the rest is:
//   - even: the body of POST /_shoal/purge, parsed as JSON as admin.cc does, then checked by
//     ParsePurgeRequest. Whatever it accepts: a key is canonical (matching it again gives it
//     back, at EndpointOfKey's endpoint; a cursor in it is not checked, as no purge binds), a route
//     is one configured, tags are 1 to kMaxPurgeTags IsTagText tags joined by single spaces;
//   - odd: a request target, path[?query], as Session hands it to the api. Checked:
//     FindRoute finds a route exactly when Match does not say NotFound; KeyFor (the hot path)
//     agrees with Match: both refuse or both give the same key; Match with binding succeeds
//     only where Match without it does, with the same key; a key is canonical: matching it
//     again gives itself, and MatchKey binds it to the same values as the request did.
// Single-threaded (the store's worker thread is never asked for a row).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "api/purge_request.h"
#include "api/router.h"
#include "api/tag_template.h"
#include "api/test_catalog.h"

namespace {

namespace api = shoal::api;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Fixture {
  api::testing::TestCatalog catalog;
  std::unique_ptr<shoal::store::SqliteStore> store;
  std::shared_ptr<const api::Router> router;

  Fixture() {
    Check(catalog.error().empty());
    store = catalog.OpenStore(1, 16);
    Check(store != nullptr);
    api::ApiOptions o = api::testing::CatalogApiOptions();
    o.cursor_secret = "fuzz-cursor-secret-0123456789";
    o.ignore_params.push_back({"utm_*", 5});
    api::EndpointOptions e;
    e.route = "/v2/items/{id:int}/reviews";
    e.query =
        "SELECT review_id, stars FROM reviews WHERE item_id = :id AND review_id > :after "
        "ORDER BY review_id LIMIT :limit";
    e.result = api::ResultShape::kMany;
    e.ttl = std::chrono::seconds(60);
    e.line = 40;
    api::PageOptions page;
    page.by = "review_id";
    page.size = 2;
    page.max = 5;
    e.page = page;
    o.endpoints.push_back(e);
    shoal::Result<std::shared_ptr<const api::Router>> r = api::Router::Build(o, *store);
    Check(r.ok());
    router = std::move(r).value();
  }
};

const api::Router& TheRouter() {
  static const Fixture kFixture;
  return *kFixture.router;
}

// CheckKeyIsCanonical: matching `key` again (without binding: a purge key's cursor is not
// checked) gives `key` itself, at `endpoint`.
void CheckKeyIsCanonical(const api::Router& router, const std::string& key, size_t endpoint) {
  const size_t q = key.find('?');
  const std::string_view query =
      q == std::string::npos ? std::string_view() : std::string_view(key).substr(q + 1);
  shoal::Result<api::RouteMatch> again =
      router.Match(std::string_view(key).substr(0, q), query, /*bind=*/false);
  Check(again.ok() && again->key == key && again->endpoint == endpoint);
  Check(router.EndpointOfKey(key) == endpoint);
}

void Purge(const api::Router& router, std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return;
  shoal::Result<api::PurgeRequest> p = api::ParsePurgeRequest(doc, router);
  if (!p.ok()) {
    Check(p.status().code() == shoal::StatusCode::kInvalidArgument ||
          p.status().code() == shoal::StatusCode::kNotFound);
    return;
  }
  switch (p->scope) {
    case api::PurgeScope::kKey: {
      const std::optional<size_t> e = router.EndpointOfKey(p->text);
      Check(e.has_value());
      CheckKeyIsCanonical(router, p->text, *e);
      break;
    }
    case api::PurgeScope::kEndpoint: {
      bool found = false;
      for (size_t i = 0; i < router.endpoint_count(); ++i) {
        found = found || router.endpoint(i).route == p->text;
      }
      Check(found);
      break;
    }
    case api::PurgeScope::kTag: {
      size_t tags = 0;
      std::string_view rest = p->text;
      while (true) {
        const size_t space = rest.find(' ');
        Check(api::IsTagText(rest.substr(0, space)));
        ++tags;
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
      Check(tags <= api::kMaxPurgeTags);
      break;
    }
  }
}

void Target(const api::Router& router, std::string_view target) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const std::optional<size_t> route = router.FindRoute(path);
  shoal::Result<api::RouteMatch> plain = router.Match(path, query, /*bind=*/false);
  shoal::Result<api::RouteMatch> bound = router.Match(path, query, /*bind=*/true);
  Check(route.has_value() == (plain.status().code() != shoal::StatusCode::kNotFound));
  if (!route) return;
  std::string key = "stale";
  const shoal::Status hot = router.KeyFor(*route, path, query, &key);
  Check(hot.ok() == plain.ok());
  if (!plain.ok()) {
    Check(!bound.ok());
    return;
  }
  Check(plain->endpoint == *route && key == plain->key);
  if (!bound.ok()) return;  // a cursor that binding refuses (its signature)
  Check(bound->key == plain->key);
  CheckKeyIsCanonical(router, plain->key, *route);
  shoal::Result<api::RouteMatch> again = router.MatchKey(plain->key);
  Check(again.ok() && again->key == plain->key && again->values == bound->values &&
        again->page_limit == bound->page_limit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const api::Router& router = TheRouter();
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Purge(router, in);
  } else {
    Target(router, in);
  }
  return 0;
}
