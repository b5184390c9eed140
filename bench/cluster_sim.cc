// cluster_sim: a cluster of shoal nodes simulated in one process, no sockets: how evenly the
// nodes share the load of a Zipf request mix with and without hot copies, how many keys move
// when one node joins, and what the hot copies cost in memory (docs/PERFORMANCE.md, "Cluster
// simulation (100 nodes)"; `cluster_sim --help` lists the flags).
//
// Real parts: the ring is cluster::HashRing (owners of every key, before and after the
// join); each node's admission is cluster::HotAdmission (the very object Cluster asks: a
// FrequencySketch counts each answer fetched from an owner, the copy is kept from
// hot_min_hits on); each node's hot cache is a cache::Cache (CLOCK eviction, 16 shards, a byte
// budget) holding cache::Entry objects. Keys are drawn by bench/zipf.h.
//
// The model, one request at a time (no concurrency, so no singleflight to model):
//   - request i arrives at time i / rate at a node drawn uniformly (the load balancer), for a
//     key drawn Zipf(s) over `keys` keys;
//   - the key's owner answers it from its main cache (assumed large enough for its share of
//     the keys): one answer of load on the owner;
//   - another node looks in its hot cache. A fresh copy answers (load on that node). A stale
//     copy (past its ttl, within grace) answers too, and one refresh is fetched from the owner
//     (load on the owner, counted apart as refreshes), counted by the admission and kept,
//     as ReadThrough keeps the refresh of a hot copy. Otherwise the request is forwarded to
//     the owner (load on the owner) and its answer counted by the admission: kept when it
//     admits, or when an expired copy of the key was still in the hot cache (ReadThrough's rule);
//   - time: the owner's entry of a key is loaded at its first request and lives ttl, then
//     grace (stale-while-revalidate: the first request after ttl gets the stale entry and
//     reloads it). A copy carries the owner's deadlines (CheckPeerEntry's clamps never bite:
//     the owner's entry is never fresher than its ttl), so a copy made late in its owner's
//     ttl is soon stale. --ttl 0: nothing expires.
//   - the hot cache's budget is hot_entries x the charge of one simulated entry (a short body:
//     the charge counts entries; bytes are reported at --entry-bytes an entry).
//
// Determinism: the ring, the requests and the arrivals follow --seed. KeyedHash, which the
// sketch and the cache shards hash with, takes a random key per process (base/keyed_hash.h),
// so the sketch's rare counter collisions and the shards' fill differ between runs: figures
// vary in their last digits (docs/PERFORMANCE.md gives the spread over runs).
//
// Ownership: main owns everything; nothing outlives it. Thread-safety: one thread.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/numbers.h"
#include "cache/cache.h"
#include "cache/entry.h"
#include "cluster/hash_ring.h"
#include "cluster/hot_admission.h"
#include "zipf.h"

namespace shoal::bench {
namespace {

using cluster::HashRing;

struct Flags {
  size_t nodes = 100;
  size_t keys = 1'000'000;
  uint64_t requests = 10'000'000;
  double zipf_s = 1.0;
  uint32_t hot_min_hits = 3;                        // ClusterOptions::hot_min_hits
  size_t hot_entries = 20'000;                      // ~32 MiB (the default hot cache) / 1,600
  size_t sketch_keys = 32'768;                      // ClusterOptions::hot_expected_keys
  size_t points = HashRing::kDefaultPointsPerNode;  // ClusterOptions::ring_points
  uint64_t seed = 1;
  double rate = 100'000;       // requests per second, the whole cluster
  double ttl_s = 60;           // the endpoint's ttl (api default); 0: nothing expires
  double grace_s = 300;        // api.grace default
  size_t entry_bytes = 1'600;  // assumed charge of a real entry, for the byte figures
  size_t join_names = 20;      // other names tried as the joining node, for the spread of (b)
  uint64_t names = 0;          // the nodes' address block: another block, another ring
  bool sweep = false;
  bool json = false;
};

constexpr const char* kUsage =
    "usage: cluster_sim [--nodes N] [--keys N] [--requests N] [--zipf S] [--hot-min-hits N]\n"
    "                   [--hot-entries N] [--sketch-keys N] [--points N] [--seed N]\n"
    "                   [--rate R] [--ttl SECONDS] [--grace SECONDS] [--entry-bytes N]\n"
    "                   [--names BLOCK] [--join-names N] [--sweep] [--json]\n"
    "Simulates N nodes (default 100) serving Zipf requests, then one node joining.\n"
    "  --hot-entries 0 turns the hot cache off; --ttl 0 makes nothing expire.\n"
    "  --names B: the nodes are 10.B.x.y:7070 (another B, another ring; default 0).\n"
    "  --sweep also runs variations (hot_min_hits, hot entries, points, ttl).\n"
    "  --json ends with one JSON line of the figures.\n";

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "cluster_sim: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

uint64_t ParseCount(std::string_view flag, std::string_view text, uint64_t min, uint64_t max) {
  std::optional<int64_t> v = ParseInt64(text);
  if (!v || *v < 0 || static_cast<uint64_t>(*v) < min || static_cast<uint64_t>(*v) > max) {
    Fail(std::string(flag) + ": want a whole number from " + std::to_string(min) + " to " +
         std::to_string(max) + ", got '" + std::string(text) + "'");
  }
  return static_cast<uint64_t>(*v);
}

double ParseReal(std::string_view flag, std::string_view text, double min, double max) {
  std::optional<double> v = ParseDouble(text);
  if (!v || *v < min || *v > max) {
    char range[64];
    std::snprintf(range, sizeof range, "from %g to %g", min, max);
    Fail(std::string(flag) + ": want a number " + range + ", got '" + std::string(text) + "'");
  }
  return *v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--sweep") {
      f.sweep = true;
      continue;
    }
    if (arg == "--json") {
      f.json = true;
      continue;
    }
    std::string_view value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Fail(std::string(arg) + ": missing value");
    }
    if (arg == "--nodes") {
      f.nodes = ParseCount(arg, value, 2, 10'000);
    } else if (arg == "--keys") {
      f.keys = ParseCount(arg, value, 1, 8'000'000);
    } else if (arg == "--requests") {
      f.requests = ParseCount(arg, value, 1, 10'000'000'000);
    } else if (arg == "--zipf") {
      f.zipf_s = ParseReal(arg, value, 0, 10);
    } else if (arg == "--hot-min-hits") {
      f.hot_min_hits = static_cast<uint32_t>(ParseCount(arg, value, 1, 15));  // as the config
    } else if (arg == "--hot-entries") {
      f.hot_entries = ParseCount(arg, value, 0, 10'000'000);
    } else if (arg == "--sketch-keys") {
      f.sketch_keys = ParseCount(arg, value, 32, 1u << 26);
    } else if (arg == "--points") {
      f.points = ParseCount(arg, value, 1, 4096);  // as cluster.ring_points
    } else if (arg == "--seed") {
      f.seed = ParseCount(arg, value, 0, UINT64_MAX >> 1);
    } else if (arg == "--rate") {
      f.rate = ParseReal(arg, value, 1, 1e12);
    } else if (arg == "--ttl") {
      f.ttl_s = ParseReal(arg, value, 0, 1e9);
    } else if (arg == "--grace") {
      f.grace_s = ParseReal(arg, value, 0, 1e9);
    } else if (arg == "--entry-bytes") {
      f.entry_bytes = ParseCount(arg, value, 1, 1u << 30);
    } else if (arg == "--names") {
      f.names = ParseCount(arg, value, 0, 254);
    } else if (arg == "--join-names") {
      f.join_names = ParseCount(arg, value, 0, 1000);
    } else {
      Fail("unknown flag " + std::string(arg));
    }
  }
  return f;
}

// NodeName is node i's peer address in address block `block` (10.block.x.y); node `nodes` of
// block --names is the one that joins, and block --names + 1 gives the other joining names.
std::string NodeName(size_t i, uint64_t block) {
  return "10." + std::to_string(block) + "." + std::to_string(i / 200) + "." +
         std::to_string(i % 200 + 1) + ":7070";
}

std::vector<std::string> NodeNames(size_t n, uint64_t block) {
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.push_back(NodeName(i, block));
  return names;
}

// Key rank r (0: the most asked for). Fixed width, so every simulated entry has one charge.
std::string KeyName(size_t rank) { return "/v1/items/" + std::to_string(1'000'000 + rank); }

TimePoint At(double seconds) {
  // Offset by a day so that no deadline is near the clock's epoch.
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(86'400.0 + seconds)));
}

struct Load {
  uint64_t max = 0;
  uint64_t min = 0;
  double mean = 0;
  double ratio() const { return mean > 0 ? static_cast<double>(max) / mean : 0; }
  double low() const { return mean > 0 ? static_cast<double>(min) / mean : 0; }
};

Load Spread(const std::vector<uint64_t>& per_node) {
  Load l;
  uint64_t sum = 0;
  l.min = UINT64_MAX;
  for (uint64_t v : per_node) {
    sum += v;
    l.max = std::max(l.max, v);
    l.min = std::min(l.min, v);
  }
  l.mean = static_cast<double>(sum) / static_cast<double>(per_node.size());
  return l;
}

// RunResult is what one simulated run measured.
struct RunResult {
  size_t nodes = 0;
  std::vector<uint64_t> answers;       // client requests answered, per node
  std::vector<uint64_t> late_answers;  // the same over the second half of the run
  std::vector<uint64_t> no_hot;        // what each node would answer with no hot copies
  std::vector<uint64_t> refreshes;     // refreshes of stale copies each owner answered
  std::vector<uint64_t> keys_owned;
  std::vector<uint64_t> hot_entries;  // held at the end, per node
  uint64_t hot_hits = 0, stale_hot_hits = 0, forwarded = 0, owner_local = 0, admissions = 0,
           store_loads = 0, evictions = 0;
  size_t entry_charge = 0;  // what the hot cache charges for one simulated entry
  size_t sketch_bytes = 0;  // per node
  double seconds = 0;       // wall time
};

// Owners is the owner of every key on `ring` (by ring index).
std::vector<uint32_t> Owners(const HashRing& ring, const std::vector<std::string>& keys) {
  std::vector<uint32_t> owner(keys.size());
  for (size_t k = 0; k < keys.size(); ++k)
    owner[k] = static_cast<uint32_t>(ring.OwnerIndex(keys[k]));
  return owner;
}

class Simulation {
 public:
  Simulation(const Flags& f, const HashRing& ring, const std::vector<std::string>& keys,
             const Zipf& zipf)
      : f_(f),
        ring_(ring),
        keys_(keys),
        zipf_(zipf),
        owner_(Owners(ring, keys)),
        created_(keys.size(), -1.0),
        entries_(keys.size()) {}

  RunResult Run() {
    const auto start = std::chrono::steady_clock::now();
    const size_t n = ring_.size();
    RunResult r;
    r.nodes = n;
    r.answers.assign(n, 0);
    r.late_answers.assign(n, 0);
    r.no_hot.assign(n, 0);
    r.refreshes.assign(n, 0);
    r.keys_owned.assign(n, 0);
    for (uint32_t o : owner_) ++r.keys_owned[o];
    {
      // What the cache charges for one simulated entry (its BaseCharge and its index node).
      cache::Cache scratch({.capacity_bytes = size_t{1} << 20});
      scratch.Insert(EntryFor(0, 0));
      r.entry_charge = static_cast<size_t>(scratch.Stats().bytes);
    }
    entries_[0].reset();

    struct Node {
      Node(const Flags& f, size_t budget)
          : admission({.enabled = f.hot_entries > 0,
                       .min_hits = f.hot_min_hits,
                       .expected_keys = f.sketch_keys}),
            hot({.capacity_bytes = budget}) {}
      cluster::HotAdmission admission;
      cache::Cache hot;
    };
    std::vector<std::unique_ptr<Node>> nodes;
    for (size_t i = 0; i < n; ++i) {
      nodes.push_back(
          std::make_unique<Node>(f_, std::max<size_t>(f_.hot_entries, 1) * r.entry_charge));
    }
    r.sketch_bytes = nodes[0]->admission.sketch().bytes();

    std::mt19937_64 rng(f_.seed);
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    for (uint64_t i = 0; i < f_.requests; ++i) {
      const double t = static_cast<double>(i) / f_.rate;
      const size_t k = zipf_.Draw(rng);
      const size_t at = pick(rng);
      const uint32_t o = owner_[k];
      const bool late = i >= f_.requests / 2;
      ++r.no_hot[o];
      auto answer = [&](size_t node) {
        ++r.answers[node];
        if (late) ++r.late_answers[node];
      };
      if (at == o) {
        ++r.owner_local;
        answer(o);
        OwnerAnswers(k, t, r);
        continue;
      }
      Node& node = *nodes[at];
      const cache::EntryPtr copy = f_.hot_entries > 0 ? node.hot.Lookup(keys_[k]) : nullptr;
      const TimePoint now = At(t);
      if (copy && copy->IsFresh(now)) {
        ++r.hot_hits;
        answer(at);
        continue;
      }
      if (copy && copy->IsServable(now)) {
        // Served stale; one refresh from the owner replaces the copy.
        ++r.stale_hot_hits;
        answer(at);
        ++r.refreshes[o];
        const double c = OwnerAnswers(k, t, r);
        if (node.admission.Admit(keys_[k])) ++r.admissions;
        node.hot.Insert(EntryFor(k, c));
        continue;
      }
      ++r.forwarded;
      answer(o);
      const double c = OwnerAnswers(k, t, r);
      const bool admit = node.admission.Admit(keys_[k]);
      if (admit) ++r.admissions;
      if (admit || copy) node.hot.Insert(EntryFor(k, c));
    }
    for (const auto& node : nodes) {
      const cache::CacheStats s = node->hot.Stats();
      r.hot_entries.push_back(s.entries);
      r.evictions += s.evictions;
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

 private:
  // OwnerAnswers is the owner's main cache answering key k at time t: it returns when the
  // entry it answers with was loaded, loading it (a store load) when it has none or the one it
  // has is past grace, and reloading it after answering stale when past ttl.
  double OwnerAnswers(size_t k, double t, RunResult& r) {
    double& c = created_[k];
    const bool expires = f_.ttl_s > 0;
    if (c < 0 || (expires && t >= c + f_.ttl_s + f_.grace_s)) {
      c = t;
      ++r.store_loads;
      return c;
    }
    if (expires && t >= c + f_.ttl_s) {
      const double stale = c;
      c = t;
      ++r.store_loads;
      return stale;
    }
    return c;
  }

  // EntryFor is the owner's entry of key k loaded at `created`, as its peers receive it. One
  // object per key and load, shared by every hot cache that holds it.
  cache::EntryPtr EntryFor(size_t k, double created) {
    cache::EntryPtr& e = entries_[k];
    if (e && e->created() == At(created)) return e;
    const bool expires = f_.ttl_s > 0;
    e = cache::Entry::Make({
        .key = keys_[k],
        .kind = cache::EntryKind::kValue,
        .body = Bytes::Copy("{}"),
        .created = At(created),
        .fresh_until = expires ? At(created + f_.ttl_s) : TimePoint::max(),
        .stale_until = expires ? At(created + f_.ttl_s + f_.grace_s) : TimePoint::max(),
        .etag = "\"0123456789abcdef\"",
    });
    return e;
  }

  const Flags& f_;
  const HashRing& ring_;
  const std::vector<std::string>& keys_;
  const Zipf& zipf_;
  const std::vector<uint32_t> owner_;
  std::vector<double> created_;           // per key: when the owner loaded its entry; -1: never
  std::vector<cache::EntryPtr> entries_;  // per key: the last entry made (see EntryFor)
};

// Moves is what one node joining does to the keys' owners.
struct Moves {
  uint64_t moved = 0;
  uint64_t between_stayers = 0;  // keys moved from one old node to another: must be 0
  double requests_share = 0;     // the share of requests whose key moved
  double ratio(size_t keys, size_t nodes_after) const {
    return static_cast<double>(moved) / static_cast<double>(keys) *
           static_cast<double>(nodes_after);
  }
};

Moves CountMoves(const HashRing& before, const HashRing& after, const std::string& joiner,
                 const std::vector<std::string>& keys, const Zipf& zipf) {
  Moves m;
  const std::optional<size_t> joined = after.IndexOf(joiner);
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string& was = before.nodes()[before.OwnerIndex(keys[k])];
    const size_t now = after.OwnerIndex(keys[k]);
    if (after.nodes()[now] == was) continue;
    ++m.moved;
    m.requests_share += zipf.Probability(k);
    if (!joined || now != *joined) ++m.between_stayers;
  }
  return m;
}

// JoinSpread: moved/ideal when the joining node has other names (join_names of them, plus
// `first`, the default joiner's figure).
struct JoinSpread {
  double lo = 0, hi = 0, mean = 0;
  size_t within = 0;             // names with moved/ideal <= 1.05
  uint64_t between_stayers = 0;  // over the other names
};

JoinSpread SpreadOfJoins(const Flags& f, const HashRing& before,
                         const std::vector<std::string>& keys, const Zipf& zipf, double first) {
  JoinSpread s{first, first, first, first <= 1.05 ? size_t{1} : size_t{0}, 0};
  double sum = first;
  for (size_t j = 1; j <= f.join_names; ++j) {
    const std::string other = NodeName(j - 1, f.names + 1);
    std::vector<std::string> names = before.nodes();
    names.push_back(other);
    const Moves a = CountMoves(before, HashRing(names, f.points), other, keys, zipf);
    const double ratio = a.ratio(keys.size(), f.nodes + 1);
    s.lo = std::min(s.lo, ratio);
    s.hi = std::max(s.hi, ratio);
    sum += ratio;
    if (ratio <= 1.05) ++s.within;
    s.between_stayers += a.between_stayers;
  }
  s.mean = sum / static_cast<double>(f.join_names + 1);
  return s;
}

void PrintRun(const char* title, const Flags& f, const RunResult& r) {
  const Load no_hot = Spread(r.no_hot);
  const Load with = Spread(r.answers);
  const Load late = Spread(r.late_answers);
  std::vector<uint64_t> with_refreshes = r.answers;
  for (size_t i = 0; i < with_refreshes.size(); ++i) with_refreshes[i] += r.refreshes[i];
  const Load refreshed = Spread(with_refreshes);
  const Load owned = Spread(r.keys_owned);
  const double req = static_cast<double>(f.requests);
  std::printf("%s: %zu nodes, %.2f s\n", title, r.nodes, r.seconds);
  std::printf("  keys owned per node: max %.3fx, min %.3fx of the mean (ring spread)\n",
              owned.ratio(), owned.low());
  std::printf("  (a) busiest node / mean, no hot copies:        %.3fx (least %.3fx)\n",
              no_hot.ratio(), no_hot.low());
  std::printf(
      "  (a) busiest node / mean, with hot copies:      %.3fx (least %.3fx)  goal <= 1.1x\n",
      with.ratio(), with.low());
  std::printf("      second half of the run only:               %.3fx (least %.3fx)\n",
              late.ratio(), late.low());
  std::printf("      refreshes of stale copies counted too:     %.3fx\n", refreshed.ratio());
  std::printf(
      "  answered: %.1f%% by a fresh hot copy, %.1f%% by a stale one (+1 refresh each),\n"
      "            %.1f%% by the owner it arrived at, %.1f%% forwarded to the owner\n",
      100.0 * static_cast<double>(r.hot_hits) / req,
      100.0 * static_cast<double>(r.stale_hot_hits) / req,
      100.0 * static_cast<double>(r.owner_local) / req,
      100.0 * static_cast<double>(r.forwarded) / req);
  std::printf(
      "  admissions %llu (as Cluster counts them: refreshes included), hot evictions %llu, store "
      "loads %llu\n",
      static_cast<unsigned long long>(r.admissions), static_cast<unsigned long long>(r.evictions),
      static_cast<unsigned long long>(r.store_loads));
  const Load hot = Spread(r.hot_entries);
  const double total = hot.mean * static_cast<double>(r.nodes);
  std::printf(
      "  (c) hot copies held: per node max %llu, mean %.0f, min %llu entries (budget %zu);"
      " total %.0f\n",
      static_cast<unsigned long long>(hot.max), hot.mean, static_cast<unsigned long long>(hot.min),
      f.hot_entries, total);
  std::printf(
      "      at %zu bytes an entry: per node max %.1f MiB, mean %.1f MiB; total %.1f MiB;"
      " plus a %zu KiB sketch per node\n",
      f.entry_bytes, static_cast<double>(hot.max * f.entry_bytes) / 1048576.0,
      hot.mean * static_cast<double>(f.entry_bytes) / 1048576.0,
      total * static_cast<double>(f.entry_bytes) / 1048576.0, r.sketch_bytes / 1024);
  std::fflush(stdout);
}

void AppendField(std::string& out, const char* name, double v) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":";
  AppendJsonDouble(out, v);
}

void AppendRunJson(std::string& out, const char* prefix, const Flags& f, const RunResult& r) {
  const Load hot = Spread(r.hot_entries);
  const std::string p(prefix);
  AppendField(out, (p + "busiest_no_hot").c_str(), Spread(r.no_hot).ratio());
  AppendField(out, (p + "busiest_hot").c_str(), Spread(r.answers).ratio());
  AppendField(out, (p + "busiest_hot_second_half").c_str(), Spread(r.late_answers).ratio());
  AppendField(out, (p + "keys_owned_max").c_str(), Spread(r.keys_owned).ratio());
  AppendField(out, (p + "hot_hit_share").c_str(),
              static_cast<double>(r.hot_hits + r.stale_hot_hits) / static_cast<double>(f.requests));
  AppendField(out, (p + "hot_entries_max").c_str(), static_cast<double>(hot.max));
  AppendField(out, (p + "hot_entries_mean").c_str(), hot.mean);
  AppendField(out, (p + "hot_entries_total").c_str(), hot.mean * static_cast<double>(r.nodes));
  AppendField(out, (p + "hot_bytes_total").c_str(),
              hot.mean * static_cast<double>(r.nodes) * static_cast<double>(f.entry_bytes));
  AppendField(out, (p + "seconds").c_str(), r.seconds);
}

struct Variation {
  std::string name;
  Flags flags;
};

void Sweep(const Flags& base, const std::vector<std::string>& keys, const Zipf& zipf) {
  std::vector<Variation> v;
  auto add = [&](std::string name, auto change) {
    Flags f = base;
    change(f);
    v.push_back({std::move(name), f});
  };
  for (uint32_t h : {1u, 2u, 5u})
    add("hot_min_hits " + std::to_string(h), [h](Flags& f) { f.hot_min_hits = h; });
  for (size_t e : {size_t{2'000}, size_t{5'000}, size_t{80'000}}) {
    add("hot entries " + std::to_string(e), [e](Flags& f) { f.hot_entries = e; });
  }
  for (size_t p : {size_t{320}, size_t{640}, size_t{1'280}, size_t{2'560}}) {
    add("points " + std::to_string(p), [p](Flags& f) { f.points = p; });
  }
  add("ttl 0 (no expiry)", [](Flags& f) { f.ttl_s = 0; });
  std::printf("\nSweep (one change from the run above each; %llu requests):\n",
              static_cast<unsigned long long>(base.requests));
  std::printf("  %-20s %9s %9s %9s %9s %10s  %s\n", "variation", "keys max", "busiest", "2nd half",
              "hot hits", "hot/node",
              "moved/ideal (over the join names: min-max, how many <= 1.05)");
  for (const Variation& var : v) {
    const Flags& f = var.flags;
    const HashRing ring(NodeNames(f.nodes, f.names), f.points);
    Simulation sim(f, ring, keys, zipf);
    const RunResult r = sim.Run();
    std::string moved = "as above";
    if (f.points != base.points) {
      std::vector<std::string> after_names = NodeNames(f.nodes, f.names);
      after_names.push_back(NodeName(f.nodes, f.names));
      const HashRing after(after_names, f.points);
      const Moves m = CountMoves(ring, after, NodeName(f.nodes, f.names), keys, zipf);
      const JoinSpread js = SpreadOfJoins(f, ring, keys, zipf, m.ratio(keys.size(), f.nodes + 1));
      char text[96];
      std::snprintf(text, sizeof text, "%.3f (%.3f-%.3f, %zu/%zu)",
                    m.ratio(keys.size(), f.nodes + 1), js.lo, js.hi, js.within, f.join_names + 1);
      moved = text;
    }
    std::printf("  %-20s %8.3fx %8.3fx %8.3fx %8.1f%% %10.0f  %s\n", var.name.c_str(),
                Spread(r.keys_owned).ratio(), Spread(r.answers).ratio(),
                Spread(r.late_answers).ratio(),
                100.0 * static_cast<double>(r.hot_hits + r.stale_hot_hits) /
                    static_cast<double>(f.requests),
                Spread(r.hot_entries).mean, moved.c_str());
    std::fflush(stdout);
  }
}

int Main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
  std::printf(
      "cluster_sim: %zu nodes, %zu keys, %llu requests, Zipf s=%.2f, %zu points per node, "
      "hot_min_hits %u, hot cache %zu entries a node, sketch for %zu keys, ttl %.0f s, grace "
      "%.0f s, %.0f requests/s (%.0f s simulated), seed %llu, nodes 10.%llu.x.y\n",
      f.nodes, f.keys, static_cast<unsigned long long>(f.requests), f.zipf_s, f.points,
      f.hot_min_hits, f.hot_entries, f.sketch_keys, f.ttl_s, f.grace_s, f.rate,
      static_cast<double>(f.requests) / f.rate, static_cast<unsigned long long>(f.seed),
      static_cast<unsigned long long>(f.names));
  std::vector<std::string> keys;
  keys.reserve(f.keys);
  for (size_t k = 0; k < f.keys; ++k) keys.push_back(KeyName(k));
  const Zipf zipf(f.keys, f.zipf_s);
  std::printf("most asked key: %.2f%% of requests; top 1,000 keys %.1f%%\n\n",
              100.0 * zipf.Probability(0), [&] {
                double s = 0;
                for (size_t k = 0; k < std::min<size_t>(1000, f.keys); ++k)
                  s += zipf.Probability(k);
                return 100.0 * s;
              }());

  const std::vector<std::string> names = NodeNames(f.nodes, f.names);
  const HashRing before(names, f.points);
  Simulation sim(f, before, keys, zipf);
  const RunResult r = sim.Run();
  PrintRun("Before the join", f, r);

  // (b) one node joins.
  const std::string joiner = NodeName(f.nodes, f.names);
  std::vector<std::string> after_names = names;
  after_names.push_back(joiner);
  const HashRing after(after_names, f.points);
  const Moves m = CountMoves(before, after, joiner, keys, zipf);
  const double ideal = 1.0 / static_cast<double>(f.nodes + 1);
  std::printf(
      "\n(b) %s joins: %llu of %zu keys moved = %.5f, ideal 1/%zu = %.5f: %.3fx "
      "(goal <= 1.05x); %.2f%% of requests' keys moved\n",
      joiner.c_str(), static_cast<unsigned long long>(m.moved), f.keys,
      static_cast<double>(m.moved) / static_cast<double>(f.keys), f.nodes + 1, ideal,
      m.ratio(f.keys, f.nodes + 1), 100.0 * m.requests_share);
  std::printf("    keys moved between two nodes that stayed: %llu (must be 0)\n",
              static_cast<unsigned long long>(m.between_stayers));
  // The same join with other names for the new node: how much the figure depends on the name.
  const JoinSpread spread = SpreadOfJoins(f, before, keys, zipf, m.ratio(f.keys, f.nodes + 1));
  const uint64_t stray = m.between_stayers + spread.between_stayers;
  if (f.join_names > 0) {
    std::printf(
        "    over %zu joining names: moved/ideal from %.3fx to %.3fx, mean %.3fx; %zu of "
        "them <= 1.05x; keys moved between stayers %llu\n",
        f.join_names + 1, spread.lo, spread.hi, spread.mean, spread.within,
        static_cast<unsigned long long>(spread.between_stayers));
  }

  // The cluster after the join, from cold.
  std::printf("\n");
  Simulation sim_after(f, after, keys, zipf);
  const RunResult r_after = sim_after.Run();
  PrintRun("After the join (from cold)", f, r_after);

  if (f.sweep) Sweep(f, keys, zipf);

  if (f.json) {
    std::string out = "{";
    AppendField(out, "nodes", static_cast<double>(f.nodes));
    AppendField(out, "keys", static_cast<double>(f.keys));
    AppendField(out, "requests", static_cast<double>(f.requests));
    AppendField(out, "zipf", f.zipf_s);
    AppendField(out, "points", static_cast<double>(f.points));
    AppendField(out, "hot_min_hits", f.hot_min_hits);
    AppendField(out, "hot_capacity_entries", static_cast<double>(f.hot_entries));
    AppendField(out, "ttl_s", f.ttl_s);
    AppendField(out, "seed", static_cast<double>(f.seed));
    AppendField(out, "names", static_cast<double>(f.names));
    AppendField(out, "entry_bytes", static_cast<double>(f.entry_bytes));
    AppendRunJson(out, "", f, r);
    AppendField(out, "moved_fraction", static_cast<double>(m.moved) / static_cast<double>(f.keys));
    AppendField(out, "moved_over_ideal", m.ratio(f.keys, f.nodes + 1));
    AppendField(out, "moved_between_stayers", static_cast<double>(stray));
    AppendField(out, "moved_over_ideal_min", spread.lo);
    AppendField(out, "moved_over_ideal_max", spread.hi);
    AppendRunJson(out, "after_", f, r_after);
    out += "}";
    std::printf("%s\n", out.c_str());
  }
  return m.between_stayers == 0 && stray == 0 ? 0 : 1;
}

}  // namespace
}  // namespace shoal::bench

int main(int argc, char** argv) { return shoal::bench::Main(argc, argv); }
