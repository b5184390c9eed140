// cache_bench: micro-benchmarks of the warm-hit path's parts, with Google Benchmark.
//
// What a warm hit costs in shoal before the http layer: Cache::Lookup (a shard lock, a hash
// map probe, an LRU splice, a shared_ptr copy), ReadThrough::Lookup (that plus the clock and
// freshness check), and, on the miss side, Entry::Make (body copy and ETag) and
// api::RenderRows (rows to JSON). The lookups run on 1 and 2 threads over one shared cache
// to show shard-lock contention.
//
// Ownership: the shared cache fixture is a function-local static that lives for the whole
// run; each benchmark owns everything else it makes. Not a test: nothing here can fail.
// Thread-safety: the fixture is built once (static initialisation) and only read afterwards
// through the thread-safe Cache and ReadThrough.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "api/json_writer.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "api/test_catalog.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "cache/cache.h"
#include "cache/entry.h"
#include "cache/loader.h"
#include "cache/read_through.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "zipf.h"

namespace shoal::bench {
namespace {

// kKeys entries stay in the cache: about as many distinct item keys as the request mix's
// hot set, and far within the 256 MiB budget so that nothing is evicted during a run.
constexpr size_t kKeys = 20000;

// A representative item body (the catalog's JSON for one item, with non-ASCII text).
constexpr std::string_view kItemBody =
    R"({"id":5,"sku":"SKU-E87466D7","title":"Größe with light series rugged red solid eco",)"
    R"("category":"fishing","price_cents":69926,"stock":190,"rating":null,)"
    R"("tags":["été","größe"],"updated_at":"2024-09-08T11:32:26Z"})";

// NeverLoader answers every load with an error; the hit benchmarks never reach it.
class NeverLoader final : public cache::Loader {
 public:
  void Load(std::string /*key*/, cache::Scope /*scope*/, cache::LoadCallback done) override {
    done(Status::Unavailable("the benchmark loads nothing"), cache::Keep::kMain);
  }
};

// Fixture: a cache full of fresh item entries, and a ReadThrough over it.
struct Fixture {
  Fixture() : cache({.capacity_bytes = 256u << 20}), read_through(cache, loader, clock) {
    const TimePoint now = clock.Now();
    keys.reserve(kKeys);
    for (size_t i = 1; i <= kKeys; ++i) {
      keys.push_back("/v1/items/" + std::to_string(i));
      cache::EntryOptions o;
      o.key = keys.back();
      o.body = Bytes::Copy(kItemBody);
      o.created = now;
      o.fresh_until = now + std::chrono::hours(24);
      o.stale_until = o.fresh_until + std::chrono::minutes(5);
      cache.Insert(cache::Entry::Make(std::move(o)));
    }
  }

  const Clock& clock = SystemClock::Get();
  NeverLoader loader;
  cache::Cache cache;
  cache::ReadThrough read_through;
  std::vector<std::string> keys;
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();  // never destroyed: threads may still read it
  return *fixture;
}

// NextIndex walks the keys in a scattered order (a stride co-prime with kKeys), from a
// per-thread start, so that threads do not touch the same shard in lockstep.
size_t NextIndex(size_t i) { return (i + 7919) % kKeys; }

void BM_CacheLookupHit(benchmark::State& state) {
  Fixture& f = Shared();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099 % kKeys;
  for (auto _ : state) {
    cache::EntryPtr e = f.cache.Lookup(f.keys[i]);
    benchmark::DoNotOptimize(e);
    i = NextIndex(i);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheLookupHit)->Threads(1)->Threads(2)->UseRealTime();

// Every thread asks for the same key: the worst case for one shard's lock and for the
// entry's shared reference count.
void BM_CacheLookupHitSameKey(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string& key = f.keys[0];
  for (auto _ : state) {
    cache::EntryPtr e = f.cache.Lookup(key);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheLookupHitSameKey)->Threads(1)->Threads(2)->UseRealTime();

// Keys drawn Zipf(s = 1.0) over the kKeys items, as the workload's item ids are
// (../shared/workload/SPEC.md): a few keys take most hits, as in production.
const std::vector<uint32_t>& ZipfSequence() {
  static const std::vector<uint32_t> seq = [] {
    const Zipf zipf(kKeys, 1.0);
    std::mt19937_64 rng(42);
    std::vector<uint32_t> out(1 << 16);
    for (uint32_t& v : out) v = static_cast<uint32_t>(zipf.Draw(rng));
    return out;
  }();
  return seq;
}

void BM_CacheLookupHitZipf(benchmark::State& state) {
  Fixture& f = Shared();
  const std::vector<uint32_t>& seq = ZipfSequence();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099;
  for (auto _ : state) {
    cache::EntryPtr e = f.cache.Lookup(f.keys[seq[i++ & (seq.size() - 1)]]);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheLookupHitZipf)->Threads(1)->Threads(2)->UseRealTime();

void BM_ReadThroughLookupHit(benchmark::State& state) {
  Fixture& f = Shared();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099 % kKeys;
  for (auto _ : state) {
    cache::Source source = cache::Source::kMiss;
    cache::EntryPtr e = f.read_through.Lookup(f.keys[i], &source);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(source);
    i = NextIndex(i);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadThroughLookupHit)->Threads(1)->Threads(2)->UseRealTime();

// A cluster node's two caches (issue 18): of kKeys keys, a third in the main cache (this
// node owns them), the rest in the hot cache (copies of the owners' keys, as a 3-node
// cluster's node 0 holds them once warm), keys drawn Zipf(1.0).
struct ClusterFixture {
  ClusterFixture()
      : main({.capacity_bytes = 224u << 20}),
        hot({.capacity_bytes = 32u << 20}),
        read_through(main, loader, clock, {}, &hot) {
    const TimePoint now = clock.Now();
    keys.reserve(kKeys);
    for (size_t i = 1; i <= kKeys; ++i) {
      keys.push_back("/v1/items/" + std::to_string(i));
      cache::EntryOptions o;
      o.key = keys.back();
      o.body = Bytes::Copy(kItemBody);
      o.created = now;
      o.fresh_until = now + std::chrono::hours(24);
      o.stale_until = o.fresh_until + std::chrono::minutes(5);
      (i % 3 == 0 ? main : hot).Insert(cache::Entry::Make(std::move(o)));
    }
  }

  const Clock& clock = SystemClock::Get();
  NeverLoader loader;
  cache::Cache main;
  cache::Cache hot;
  cache::ReadThrough read_through;
  std::vector<std::string> keys;
};

ClusterFixture& SharedCluster() {
  static ClusterFixture* fixture = new ClusterFixture();  // never destroyed, as Shared()
  return *fixture;
}

// ReadThrough::Lookup on a cluster node: the hot cache's front table first, then the main
// cache, then the hot cache.
void BM_ReadThroughLookupHitClusterZipf(benchmark::State& state) {
  ClusterFixture& f = SharedCluster();
  const std::vector<uint32_t>& seq = ZipfSequence();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099;
  for (auto _ : state) {
    cache::Source source = cache::Source::kMiss;
    cache::EntryPtr e = f.read_through.Lookup(f.keys[seq[i++ & (seq.size() - 1)]], &source);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(source);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadThroughLookupHitClusterZipf)->Threads(1)->UseRealTime();

// The same two caches asked in the order ReadThrough used before issue 18 (main, then hot),
// and in its order now, without the clock read and freshness test: the difference is the
// main-cache shard lock and probe that a hot hit no longer pays.
void BM_TwoCachesMainThenHot(benchmark::State& state) {
  ClusterFixture& f = SharedCluster();
  const std::vector<uint32_t>& seq = ZipfSequence();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099;
  for (auto _ : state) {
    const std::string& key = f.keys[seq[i++ & (seq.size() - 1)]];
    cache::EntryPtr e = f.main.Lookup(key);
    if (!e) e = f.hot.Lookup(key);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwoCachesMainThenHot)->Threads(1)->UseRealTime();

void BM_TwoCachesHotFrontFirst(benchmark::State& state) {
  ClusterFixture& f = SharedCluster();
  const std::vector<uint32_t>& seq = ZipfSequence();
  size_t i = static_cast<size_t>(state.thread_index()) * 4099;
  for (auto _ : state) {
    const std::string& key = f.keys[seq[i++ & (seq.size() - 1)]];
    const uint64_t hash = cache::Cache::Hash(key);
    cache::EntryPtr e = f.hot.LookupFront(key, hash);
    if (!e) e = f.main.Lookup(key, hash);
    if (!e) e = f.hot.Lookup(key, hash);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwoCachesHotFrontFirst)->Threads(1)->UseRealTime();

// The clock read that ReadThrough::Lookup makes on every hit (SystemClock: steady_clock).
void BM_SteadyClockNow(benchmark::State& state) {
  const Clock& clock = SystemClock::Get();
  for (auto _ : state) {
    TimePoint t = clock.Now();
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SteadyClockNow);

// Entry::Make for a body of state.range(0) bytes: the body copy into an exact Bytes, the
// ETag hash and the entry's allocation (what a miss pays after rendering).
void BM_EntryMake(benchmark::State& state) {
  std::string body(static_cast<size_t>(state.range(0)), 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = kItemBody[i % kItemBody.size()];
  const TimePoint now = SystemClock::Get().Now();
  for (auto _ : state) {
    cache::EntryOptions o;
    o.key = "/v1/items/12345/reviews?limit=10";
    o.body = Bytes::Copy(body);
    o.created = now;
    o.fresh_until = now + std::chrono::seconds(60);
    o.stale_until = o.fresh_until + std::chrono::minutes(5);
    cache::EntryPtr e = cache::Entry::Make(std::move(o));
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EntryMake)->Arg(216)->Arg(2048);

// Cache::Insert of a new entry into a cache at its budget: the insert and one eviction.
void BM_CacheInsertEvict(benchmark::State& state) {
  cache::Cache cache({.capacity_bytes = 4u << 20});
  const TimePoint now = SystemClock::Get().Now();
  const Bytes body = Bytes::Copy(kItemBody);
  std::vector<std::string> keys;
  for (size_t i = 0; i < 4 * kKeys; ++i) keys.push_back("/v1/items/" + std::to_string(i));
  size_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    cache::EntryOptions o;
    o.key = keys[i];
    o.body = body;
    o.created = now;
    o.fresh_until = now + std::chrono::seconds(60);
    o.stale_until = o.fresh_until;
    o.etag = "\"0\"";
    cache::EntryPtr e = cache::Entry::Make(std::move(o));
    state.ResumeTiming();
    benchmark::DoNotOptimize(cache.Insert(std::move(e)));
    i = (i + 1) % keys.size();
  }
}
BENCHMARK(BM_CacheInsertEvict);

// The item endpoint's row: the catalog's columns, tags a json: column.
api::EndpointInfo ItemInfo() {
  api::EndpointInfo info;
  info.route = "/v1/items/{id:int}";
  info.result = api::ResultShape::kOne;
  info.columns = {"id",    "sku",    "title", "category",  "price_cents",
                  "stock", "rating", "tags",  "updated_at"};
  info.json_column.assign(info.columns.size(), false);
  info.json_column[7] = true;
  return info;
}

void BM_RenderItem(benchmark::State& state) {
  const api::EndpointInfo info = ItemInfo();
  store::Rows rows;
  rows.columns = info.columns;
  rows.rows.push_back({int64_t{5}, std::string("SKU-E87466D7"),
                       std::string("Größe with light \"series\" rugged red solid eco"),
                       std::string("fishing"), int64_t{69926}, int64_t{190}, 4.2,
                       std::string(R"(["été","größe","🔥"])"), std::string("2024-09-08T11:32:26Z")});
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = api::RenderRows(info, rows);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RenderItem);

// Eight reviews of about 300 bytes each, with the escapes the catalog exercises.
void BM_RenderReviews(benchmark::State& state) {
  api::EndpointInfo info;
  info.route = "/v1/items/{id:int}/reviews";
  info.result = api::ResultShape::kMany;
  info.columns = {"review_id", "author", "stars", "body", "created_at"};
  info.json_column.assign(info.columns.size(), false);
  store::Rows rows;
  rows.columns = info.columns;
  std::string body;
  while (body.size() < 300) body += "works great\n\twould buy again: café \"quoted\" C:\\tmp 😀 ";
  for (int64_t r = 8; r >= 1; --r) {
    rows.rows.push_back(
        {r, std::string("Zoë 😀"), int64_t{4}, body, std::string("2024-03-01T10:00:00Z")});
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = api::RenderRows(info, rows);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RenderReviews);

// JsonWriter::String alone, over plain ASCII and over text that needs escaping.
void BM_JsonString(benchmark::State& state) {
  const std::string plain(300, 'a');
  std::string mixed;
  while (mixed.size() < 300) mixed += "naïve \"q\" back\\slash\n日本語 ";
  const std::string& text = state.range(0) == 0 ? plain : mixed;
  std::string out;
  for (auto _ : state) {
    out.clear();
    api::JsonWriter w(out);
    w.String(text);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.SetLabel(state.range(0) == 0 ? "ascii" : "escapes+utf8");
}
BENCHMARK(BM_JsonString)->Arg(0)->Arg(1);

}  // namespace
}  // namespace shoal::bench

namespace shoal::bench {
namespace {

// The router of the catalog's three endpoints, compiled against a small real SQLite catalog.
struct RouterFixture {
  RouterFixture() {
    store::SqliteOptions o;
    o.path = catalog.path();
    o.threads = 1;
    auto opened = store::SqliteStore::Open(o);
    if (!opened.ok()) std::abort();
    store = std::move(opened).value();
    auto built = api::Router::Build(api::testing::CatalogApiOptions(), *store);
    if (!built.ok()) std::abort();
    router = std::move(built).value();
  }
  api::testing::TestCatalog catalog;
  std::unique_ptr<store::SqliteStore> store;
  std::shared_ptr<const api::Router> router;
};

RouterFixture& Routes() {
  static RouterFixture* fixture = new RouterFixture();  // never destroyed, like Shared()
  return *fixture;
}

// Route matching and key building for a hit: Router::Match without binding values, as
// Api::Handle calls it (the key is the one allocation).
void BM_RouterMatch(benchmark::State& state) {
  const api::Router& router = *Routes().router;
  const std::string_view path = state.range(0) == 0 ? "/v1/items/12345" : "/v1/items/12345/reviews";
  const std::string_view query = state.range(0) == 0 ? "" : "limit=20";
  for (auto _ : state) {
    Result<api::RouteMatch> m = router.Match(path, query, /*bind=*/false);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterMatch)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

// What a hit does since issue 5: FindRoute, then the key into a reused string (no allocation).
void BM_RouterFindRouteKeyFor(benchmark::State& state) {
  const api::Router& router = *Routes().router;
  const std::string_view path = state.range(0) == 0 ? "/v1/items/12345" : "/v1/items/12345/reviews";
  const std::string_view query = state.range(0) == 0 ? "" : "limit=20";
  std::string key;
  for (auto _ : state) {
    const std::optional<size_t> route = router.FindRoute(path);
    Status s = router.KeyFor(*route, path, query, &key);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterFindRouteKeyFor)->Arg(0)->Arg(1);

// A key back to its bound values, as StoreLoader does on a miss (and a peer on a forward).
void BM_RouterMatchKey(benchmark::State& state) {
  const api::Router& router = *Routes().router;
  for (auto _ : state) {
    Result<api::RouteMatch> m = router.MatchKey("/v1/items/12345/reviews?limit=20");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterMatchKey);

}  // namespace
}  // namespace shoal::bench

BENCHMARK_MAIN();
