// hit_bench: a whole warm hit through api::Api::Handle, with Google Benchmark, on 1 and 2
// threads, counting the heap allocations each hit makes.
//
// This is everything a warm hit costs above the socket: route match and key, the cache's
// lookup, freshness, counters, and the Response that points at the entry's bytes. The server
// adds the parse before it and the header serialisation and the write after it. The counter
// `allocs` is heap allocations per hit, counted by the replaced operator new below while a
// benchmark thread is inside its loop; `body_copies` is 1 when the answer's body is not the
// cached entry's own bytes (it must stay 0: a hit copies no body).
//
// Ownership: the fixture is a function-local static that is never destroyed (threads may still
// read it at exit). Not a test: the unit tests (api_test's AHitAllocatesOnlyItsKey) are what
// fail when a hit starts to allocate; this shows the figure next to the time.
// Thread-safety: Api is thread-safe; the counting flag and count are thread-local.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "api/api.h"
#include "api/router.h"
#include "api/serving.h"
#include "api/store_loader.h"
#include "api/test_catalog.h"
#include "base/clock.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "http/cache_headers.h"
#include "http/handler.h"
#include "metrics/metrics.h"
#include "store/sqlite/sqlite_store.h"

namespace {
thread_local bool counting = false;
thread_local uint64_t allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace shoal::bench {
namespace {

// Sink keeps the last response, as a session's slot does until the write completes.
class Sink final : public http::Exchange {
 public:
  void Reply(http::Response r) override { response = std::move(r); }
  http::ReplyLater Defer() override { std::abort(); }  // a warm hit never defers
  http::Response response;
};

// Configure gives `o` every caching header an API team would set (issue 17): Cache-Control
// for clients, CDN-Cache-Control per endpoint (a static line, as CORS's are), and the debug
// headers (the key in Cache-Status).
void Configure(api::ApiOptions& o) {
  api::CacheControlOptions cc;
  cc.max_age = std::chrono::seconds(10);
  cc.s_maxage = std::chrono::seconds(60);
  cc.stale_while_revalidate = std::chrono::seconds(30);
  cc.stale_if_error = std::chrono::hours(24);
  cc.is_public = true;
  o.cache_control = cc;
  api::CacheControlOptions cdn;
  cdn.s_maxage = std::chrono::minutes(5);
  cdn.stale_if_error = std::chrono::hours(1);
  for (api::EndpointOptions& e : o.endpoints) e.cdn_cache_control = cdn;
  o.debug_headers = true;
}

struct Fixture {
  explicit Fixture(bool configured) {
    auto opened = store::SqliteStore::Open({catalog.path(), 1, 4096});
    if (!opened.ok()) std::abort();
    store = std::move(opened).value();
    options = api::testing::CatalogApiOptions();
    for (api::EndpointOptions& e : options.endpoints) e.ttl = std::chrono::hours(24);
    if (configured) Configure(options);
    auto built = api::Router::Build(options, *store);
    if (!built.ok()) std::abort();
    router = std::move(built).value();
    serving = api::MakeLiveServing(router, options, &registry);
    loader = std::make_unique<api::StoreLoader>(serving, *store, clock);
    read_through = std::make_unique<cache::ReadThrough>(cache, *loader, clock);
    handler = std::make_unique<api::Api>(serving, *read_through, cache, clock, &registry);
  }

  // Warm asks until the request is a hit (the first ask loads it on a store thread).
  void Warm(const http::Request& request) {
    struct Probe final : http::Exchange {
      void Reply(http::Response r) override { response = std::move(r); }
      http::ReplyLater Defer() override {
        return [](http::Response) {};
      }
      http::Response response;
    };
    for (int i = 0; i < 1000; ++i) {
      Probe probe;
      handler->Handle(request, probe);
      if (probe.response.cache_status == "HIT") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::abort();
  }

  api::testing::TestCatalog catalog;
  std::unique_ptr<store::SqliteStore> store;
  const Clock& clock = SystemClock::Get();
  api::ApiOptions options;
  std::shared_ptr<const api::Router> router;
  metrics::Registry registry;
  std::shared_ptr<api::LiveServing> serving;
  std::unique_ptr<api::StoreLoader> loader;
  cache::Cache cache{cache::CacheOptions{64u << 20}};
  std::unique_ptr<cache::ReadThrough> read_through;
  std::unique_ptr<api::Api> handler;
};

Fixture& Shared(bool configured = false) {
  if (configured) {
    static Fixture* with_headers = new Fixture(true);
    return *with_headers;
  }
  static Fixture* plain = new Fixture(false);
  return *plain;
}

// BM_ApiHit: arg 0 an item, 1 an item's reviews with a limit, 2 the item again with the
// headers a browser sends (gzip accepted, an If-None-Match that does not match).
void BM_ApiHit(benchmark::State& state) {
  Fixture& f = Shared();
  static const std::vector<http::Header> kBrowser = {{"Accept-Encoding", "gzip, deflate, br"},
                                                     {"If-None-Match", "\"old\""}};
  http::Request request;
  request.method = http::Method::kGet;
  request.path = state.range(0) == 1 ? "/v1/items/1/reviews" : "/v1/items/1";
  request.query = state.range(0) == 1 ? "limit=3" : "";
  if (state.range(0) == 2) request.headers = kBrowser;
  if (state.thread_index() == 0) f.Warm(request);
  Sink sink;
  uint64_t body_copies = 0;
  counting = true;
  allocations = 0;
  for (auto _ : state) {
    f.handler->Handle(request, sink);
    benchmark::DoNotOptimize(sink.response);
  }
  counting = false;
  const uint64_t allocated = allocations;
  // Is the body the entry's own bytes? Ask the cache for the entry and compare addresses.
  std::string key(request.path);
  if (!request.query.empty()) key.append("?").append(request.query);
  if (cache::EntryPtr e = f.cache.Lookup(key)) {
    const bool own = sink.response.body.data() == e->body().data() ||
                     sink.response.body.data() == e->GzipBody().data();
    body_copies = own ? 0 : 1;
  }
  state.counters["allocs"] =
      benchmark::Counter(static_cast<double>(allocated), benchmark::Counter::kAvgIterations);
  state.counters["body_copies"] = static_cast<double>(body_copies);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApiHit)->Arg(0)->Arg(1)->Arg(2)->Threads(1)->Threads(2)->UseRealTime();

// BM_ApiHitWithHeaders: BM_ApiHit's item (arg 0) and browser (arg 2) cases with every caching
// header configured (Configure), and the session's formatting of the lines this adds
// (Cache-Control with its directives, CDN-Cache-Control, Cache-Status with the key) into a
// reused string inside the loop: against BM_ApiHit of a build before issue 17, whose loop
// formats nothing, an upper bound on what they cost a hit.
void BM_ApiHitWithHeaders(benchmark::State& state) {
  Fixture& f = Shared(/*configured=*/true);
  static const std::vector<http::Header> kBrowser = {{"Accept-Encoding", "gzip, deflate, br"},
                                                     {"If-None-Match", "\"old\""}};
  http::Request request;
  request.method = http::Method::kGet;
  request.path = "/v1/items/1";
  if (state.range(0) == 2) request.headers = kBrowser;
  if (state.thread_index() == 0) f.Warm(request);
  Sink sink;
  std::string head;
  head.reserve(1024);
  counting = true;
  allocations = 0;
  for (auto _ : state) {
    f.handler->Handle(request, sink);
    head.clear();
    http::internal::AppendCacheHeaders(head, sink.response);
    benchmark::DoNotOptimize(head.data());
    benchmark::DoNotOptimize(sink.response);
  }
  counting = false;
  state.counters["allocs"] =
      benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
  state.counters["head_bytes"] = static_cast<double>(head.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApiHitWithHeaders)->Arg(0)->Arg(2)->Threads(1)->UseRealTime();

}  // namespace
}  // namespace shoal::bench

BENCHMARK_MAIN();
