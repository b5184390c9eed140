// NodeStats: the /_shoal/stats document; see stats_document.h.
#include "cli/stats_document.h"

#include <chrono>
#include <ctime>
#include <optional>

#include "api/json_writer.h"
#include "base/interned.h"
#include "metrics/process_metrics.h"

namespace shoal::cli {
namespace {

constexpr Duration kShort = std::chrono::seconds(10);
constexpr Duration kLong = std::chrono::seconds(60);

StatsCounts CountsOf(const api::EndpointMetrics::One& e) {
  StatsCounts c;
  c.errors_4xx = e.code[2]->value();
  c.errors_5xx = e.code[3]->value();
  c.requests = e.code[0]->value() + e.code[1]->value() + c.errors_4xx + c.errors_5xx;
  c.hits = e.cache[0]->value();
  c.stale = e.cache[1]->value();
  c.misses = e.cache[2]->value();
  c.peer = e.cache[3]->value();
  c.latency = e.duration->Snapshot();
  return c;
}

void Optional(api::JsonWriter& w, const std::optional<double>& v) {
  if (v) {
    w.Double(*v);
  } else {
    w.Null();
  }
}

void WriteRate(api::JsonWriter& w, const RateFigures& r) {
  w.BeginObject();
  w.Key("requests_per_s");
  w.Double(r.requests_per_s);
  w.Key("hit_ratio");
  Optional(w, r.hit_ratio);
  w.Key("p50_ms");
  Optional(w, r.p50_ms);
  w.Key("p99_ms");
  Optional(w, r.p99_ms);
  w.EndObject();
}

void Count(api::JsonWriter& w, std::string_view key, uint64_t v) {
  w.Key(key);
  w.Int(static_cast<int64_t>(v));
}

std::string Rfc3339Now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Window is what a rate over `ago` compares with: the counts of endpoint `i` (or the
// totals, i = npos) in the sample `ago` back, or zeros at the node's start.
struct Window {
  std::optional<StatsSample> older;
  TimePoint at;
};

const StatsCounts& OlderCounts(const Window& w, size_t endpoints, size_t i) {
  static const StatsCounts kZero;
  if (!w.older) return kZero;
  if (i == SIZE_MAX) return w.older->total;
  // A reload between the two samples changed the endpoint list: measure from zero.
  if (w.older->endpoints.size() != endpoints || i >= w.older->endpoints.size()) return kZero;
  return w.older->endpoints[i];
}

}  // namespace

std::shared_ptr<const api::EndpointMetrics> NodeStats::Endpoints(
    const std::shared_ptr<const api::Router>& router) const {
  MutexLock lock(mu_);
  if (router != router_ || endpoints_ == nullptr) {
    router_ = router;
    endpoints_ = api::EndpointMetrics::Build(*router, *parts_.registry);
  }
  return endpoints_;
}

StatsSample NodeStats::ReadSample() const {
  StatsSample s;
  s.at = std::chrono::steady_clock::now();
  const std::shared_ptr<const api::Router> router = parts_.router();
  const std::shared_ptr<const api::EndpointMetrics> metrics = Endpoints(router);
  for (const api::EndpointMetrics::One& e : metrics->endpoints) {
    s.endpoints.push_back(CountsOf(e));
    s.total.Add(s.endpoints.back());
  }
  if (parts_.cluster != nullptr && parts_.peers != nullptr) {
    for (const cluster::PeerInfo& p : parts_.cluster->Peers()) {
      if (p.self) continue;
      s.peers.emplace_back(Intern(p.address), parts_.peers->LatencyOf(p.address)->Snapshot());
    }
  }
  if (parts_.cassandra) {
    for (const store::cassandra::NodeReport& r : parts_.cassandra()) {
      s.nodes.emplace_back(Intern(r.node), r.latency_buckets);
    }
  }
  return s;
}

std::string NodeStats::Render(const StatsSampler& sampler) const {
  const StatsSample now = sampler.Read();
  const Window w10{sampler.Older(now.at, kShort), {}};
  const Window w60{sampler.Older(now.at, kLong), {}};
  const auto at = [&](const Window& w) { return w.older ? w.older->at : parts_.started; };
  const size_t n = now.endpoints.size();

  std::string out;
  api::JsonWriter j(out);
  j.BeginObject();
  j.Key("time");
  j.String(Rfc3339Now());
  Count(j, "uptime_seconds",
        static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(now.at - parts_.started).count()));
  j.Key("self");
  j.String(parts_.cluster != nullptr ? parts_.cluster->self() : "");

  j.Key("totals");
  j.BeginObject();
  Count(j, "requests", now.total.requests);
  Count(j, "hits", now.total.hits);
  Count(j, "stale", now.total.stale);
  Count(j, "misses", now.total.misses);
  Count(j, "peer", now.total.peer);
  Count(j, "errors_4xx", now.total.errors_4xx);
  Count(j, "errors_5xx", now.total.errors_5xx);
  j.EndObject();

  const auto rates = [&](size_t i, const StatsCounts& c) {
    j.Key("rates");
    j.BeginObject();
    j.Key("10s");
    WriteRate(j, RateBetween(OlderCounts(w10, n, i), at(w10), c, now.at));
    j.Key("1m");
    WriteRate(j, RateBetween(OlderCounts(w60, n, i), at(w60), c, now.at));
    j.EndObject();
  };
  rates(SIZE_MAX, now.total);

  j.Key("cache");
  j.BeginObject();
  const cache::CacheStats cs = parts_.cache->Stats();
  Count(j, "bytes", cs.bytes);
  Count(j, "entries", cs.entries);
  Count(j, "budget_bytes", parts_.cache->capacity_bytes());
  Count(j, "hot_bytes", parts_.hot != nullptr ? parts_.hot->Stats().bytes : 0);
  Count(j, "evictions", cs.evictions);
  j.EndObject();

  j.Key("endpoints");
  j.BeginArray();
  const std::shared_ptr<const api::Router> router = parts_.router();
  for (size_t i = 0; i < n && i < router->endpoint_count(); ++i) {
    const StatsCounts& c = now.endpoints[i];
    j.BeginObject();
    j.Key("route");
    j.String(router->endpoint(i).interned_route);
    Count(j, "requests", c.requests);
    Count(j, "hits", c.hits);
    Count(j, "stale", c.stale);
    Count(j, "misses", c.misses);
    Count(j, "peer", c.peer);
    Count(j, "errors", c.errors_4xx + c.errors_5xx);
    rates(i, c);
    j.EndObject();
  }
  j.EndArray();

  const NamedBuckets none;
  const NamedBuckets& old_peers = w60.older ? w60.older->peers : none;
  j.Key("peers");
  j.BeginArray();
  if (parts_.cluster != nullptr) {
    for (const cluster::MemberView& m : parts_.cluster->View().members) {
      j.BeginObject();
      j.Key("address");
      j.String(m.address);
      j.Key("self");
      j.Bool(m.self);
      j.Key("state");
      j.String(m.state);
      j.Key("share");
      j.Double(m.share);
      const Buckets b = m.self || parts_.peers == nullptr
                            ? Buckets{}
                            : parts_.peers->LatencyOf(m.address)->Snapshot();
      uint64_t gets = 0;
      for (const uint64_t x : b) gets += x;
      Count(j, "gets", gets);
      Count(j, "errors",
            m.self || parts_.peers == nullptr ? 0 : parts_.peers->ErrorsOf(m.address)->value());
      j.Key("p99_ms");
      Optional(j, QuantileMs(Minus(b, BucketsOf(old_peers, m.address)), 0.99));
      j.EndObject();
    }
  }
  j.EndArray();

  const NamedBuckets& old_nodes = w60.older ? w60.older->nodes : none;
  j.Key("cassandra");
  j.BeginArray();
  if (parts_.cassandra) {
    for (const store::cassandra::NodeReport& r : parts_.cassandra()) {
      j.BeginObject();
      j.Key("node");
      j.String(r.node);
      j.Key("dc");
      j.String(r.dc);
      j.Key("up");
      j.Bool(r.up);
      j.Key("suspect");
      j.Bool(r.suspect);
      j.Key("in_flight");
      j.Int(r.in_flight);
      Count(j, "requests", r.requests);
      Count(j, "errors", r.errors);
      Count(j, "timeouts", r.timeouts);
      j.Key("p99_ms");
      Optional(j, QuantileMs(Minus(r.latency_buckets, BucketsOf(old_nodes, r.node)), 0.99));
      j.EndObject();
    }
  }
  j.EndArray();

  const metrics::ProcessStats p = metrics::ReadProcessStats();
  j.Key("process");
  j.BeginObject();
  Count(j, "rss_bytes", p.rss_bytes);
  j.Key("cpu_seconds");
  j.Double(p.cpu_seconds);
  Count(j, "open_fds", p.open_fds);
  j.Key("start_time");
  j.Int(p.start_time);
  j.EndObject();
  j.EndObject();
  return out;
}

}  // namespace shoal::cli
