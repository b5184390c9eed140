// The stats document's arithmetic (stats_sampler.h: rates, hit ratio, interpolated
// quantiles, the ring) and `shoal stats`' table over a fixed document (stats.h).
#include "cli/stats.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cli/stats_sampler.h"

namespace shoal::cli {
namespace {

using std::chrono::seconds;

TEST(StatsSamplerTest, QuantilesInterpolateInsideTheBucket) {
  Buckets b{};
  EXPECT_FALSE(QuantileMs(b, 0.5).has_value());
  b[0] = 100;  // all in [0, 50 us]
  EXPECT_DOUBLE_EQ(*QuantileMs(b, 0.5), 0.025);
  EXPECT_DOUBLE_EQ(*QuantileMs(b, 0.99), 0.0495);
  b = {};
  b[4] = 50;  // (500 us, 1 ms]
  b[5] = 50;  // (1 ms, 2.5 ms]
  EXPECT_DOUBLE_EQ(*QuantileMs(b, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(*QuantileMs(b, 0.99), 1.0 + 1.5 * 49.0 / 50.0);
  b = {};
  b[metrics::Histogram::kBoundsUs.size()] = 3;  // over 1 s: the last bound
  EXPECT_DOUBLE_EQ(*QuantileMs(b, 0.99), 1000.0);
}

TEST(StatsSamplerTest, RatesAreDifferencesOverTime) {
  StatsCounts older, newer;
  older.requests = 100;
  older.hits = 50;
  older.misses = 50;
  older.latency[0] = 100;
  newer = older;
  newer.requests += 40;
  newer.hits += 27;
  newer.stale += 3;
  newer.misses += 6;
  newer.peer += 4;
  newer.latency[2] += 40;  // (100, 250] us
  const TimePoint t0{};
  const RateFigures r = RateBetween(older, t0, newer, t0 + seconds(10));
  EXPECT_DOUBLE_EQ(r.requests_per_s, 4.0);
  EXPECT_DOUBLE_EQ(*r.hit_ratio, 30.0 / 40.0);
  EXPECT_DOUBLE_EQ(*r.p50_ms, 0.175);
  // Nothing between two samples: no ratio, no quantile, zero rate.
  const RateFigures idle = RateBetween(newer, t0, newer, t0 + seconds(1));
  EXPECT_EQ(idle.requests_per_s, 0);
  EXPECT_FALSE(idle.hit_ratio.has_value());
  EXPECT_FALSE(idle.p99_ms.has_value());
  // Only errors (no cache outcome): a rate, no ratio.
  StatsCounts errors = newer;
  errors.requests += 5;
  errors.errors_4xx += 5;
  EXPECT_FALSE(RateBetween(newer, t0, errors, t0 + seconds(1)).hit_ratio.has_value());
}

TEST(StatsSamplerTest, TheRingKeepsAMinuteAndFindsTheSampleAWindowBack) {
  TimePoint now{};
  uint64_t n = 0;
  StatsSampler sampler([&] {
    StatsSample s;
    s.at = now;
    s.total.requests = n;
    return s;
  });
  EXPECT_FALSE(sampler.Older(now, seconds(10)).has_value());
  for (int i = 0; i < 100; ++i) {  // 100 s of samples, one a second, 10 requests each
    sampler.SampleNow();
    now += seconds(1);
    n += 10;
  }
  // now = 100 s; the newest kept sample is at 99 s, the oldest at 39 s (61 kept).
  const std::optional<StatsSample> ten = sampler.Older(now, seconds(10));
  ASSERT_TRUE(ten.has_value());
  EXPECT_EQ(ten->at, TimePoint{} + seconds(90));
  EXPECT_EQ(ten->total.requests, 900U);
  const std::optional<StatsSample> minute = sampler.Older(now, seconds(60));
  ASSERT_TRUE(minute.has_value());
  EXPECT_EQ(minute->at, TimePoint{} + seconds(40));
  // Further back than the ring: its oldest sample.
  EXPECT_EQ(sampler.Older(now, seconds(600))->at, TimePoint{} + seconds(39));
}

TEST(StatsSamplerTest, TheThreadSamplesUntilStopped) {
  std::atomic<int> reads{0};
  StatsSampler sampler(
      [&reads] {
        reads.fetch_add(1);
        StatsSample s;
        s.at = std::chrono::steady_clock::now();
        return s;
      },
      std::chrono::milliseconds(5));
  sampler.Start();  // one sample at once, then one every 5 ms on the thread
  while (reads.load() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(sampler.Older(std::chrono::steady_clock::now(), seconds(0)).has_value());
  sampler.Stop();
  const int after = reads.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(reads.load(), after);  // stopped: no more samples
  sampler.Stop();                  // idempotent
}

constexpr std::string_view kDocument = R"({
  "time": "2026-12-06T09:00:00Z", "uptime_seconds": 3723, "self": "10.0.0.1:7000",
  "totals": {"requests": 1000, "hits": 900, "stale": 10, "misses": 80, "peer": 5,
             "errors_4xx": 4, "errors_5xx": 1},
  "rates": {"10s": {"requests_per_s": 123.4, "hit_ratio": 0.95, "p50_ms": 0.12, "p99_ms": 2.5},
            "1m": {"requests_per_s": 100, "hit_ratio": null, "p50_ms": null, "p99_ms": null}},
  "cache": {"bytes": 1048576, "entries": 12, "budget_bytes": 268435456, "hot_bytes": 0,
            "evictions": 7},
  "endpoints": [{"route": "/v1/items/{id:int}", "requests": 1000, "hits": 900, "stale": 10,
                 "misses": 80, "peer": 5, "errors": 5,
                 "rates": {"10s": {"requests_per_s": 123.4, "hit_ratio": 0.95, "p50_ms": 0.12,
                                   "p99_ms": 2.5},
                           "1m": {"requests_per_s": 0, "hit_ratio": null, "p50_ms": null,
                                  "p99_ms": null}}}],
  "peers": [{"address": "10.0.0.1:7000", "self": true, "state": "up", "share": 0.5, "gets": 0,
             "errors": 0, "p99_ms": null},
            {"address": "10.0.0.2:7000", "self": false, "state": "down", "share": 0.5,
             "gets": 42, "errors": 3, "p99_ms": 4.25}],
  "cassandra": [{"node": "10.0.1.1:9042", "dc": "dc1", "up": true, "suspect": true,
                 "in_flight": 2, "requests": 500, "errors": 1, "timeouts": 0, "p99_ms": 3}],
  "process": {"rss_bytes": 52428800, "cpu_seconds": 12.5, "open_fds": 33, "start_time": 1}
})";

TEST(StatsTableTest, RendersEveryPartOfTheDocument) {
  Result<std::string> t = RenderStatsTable(kDocument);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::string& s = *t;
  for (const char* want : {
           "shoal 10.0.0.1:7000  up 1h02m03s  2026-12-06T09:00:00Z\n",
           "totals  requests 1000  hits 900  stale 10  misses 80  peer 5  4xx 4  5xx 1\n",
           "cache   1.0 MiB in 12 entries of 256.0 MiB (hot 0 B), 7 evictions\n",
           "process rss 50.0 MiB, cpu 12.50 s, 33 open fds\n",
           "all endpoints                           123.40   95.0%     0.12     2.50 |    "
           "100.00       -        -        -\n",
           "/v1/items/{id:int}                         1000       900        10        80"
           "         5         5\n",
           "10.0.0.1:7000 (self)         up        50.0%          0        0        -\n",
           "10.0.0.2:7000                down      50.0%         42        3     4.25\n",
           "10.0.1.1:9042            dc1        suspect          2        500        1         0"
           "     3.00\n",
       }) {
    EXPECT_NE(s.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << s;
  }
}

TEST(StatsTableTest, RefusesWhatIsNotAStatsDocument) {
  EXPECT_FALSE(RenderStatsTable("").ok());
  EXPECT_FALSE(RenderStatsTable("not json").ok());
  EXPECT_FALSE(RenderStatsTable(R"({"status":"ok"})").ok());
  EXPECT_FALSE(RenderStatsTable("[1,2]").ok());
}

TEST(StatsTableTest, ABadUrlIsAnInvalidArgument) {
  EXPECT_EQ(FetchStats("127.0.0.1:8080").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FetchStats("https://x:1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FetchStats("http://[::1").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace shoal::cli
