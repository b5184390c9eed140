// TimedStore: a store::Store that passes every call to another, counts the queries and times
// each, from Query to its callback, into a histogram (shoal_store_query_duration_seconds): what
// the store costs a miss, queueing in the store's pool included. The endpoints' queries only:
// the readiness probe queries the inner store directly (shoal_store_queries_total reads
// queries()). Statement ids are the inner
// store's (Prepare passes through).
//
// Ownership: borrows the inner Store and the Histogram, which outlive it (serve: the store
// and the registry live in RunServe's frame, this between them). The query callback owns
// what it uses. Thread-safety: as the inner Store (thread-safe).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metrics.h"
#include "store/store.h"

namespace shoal::cli {

class TimedStore final : public store::Store {
 public:
  TimedStore(store::Store& inner, metrics::Histogram& histogram)
      : inner_(inner), histogram_(histogram) {}

  Result<store::StatementInfo> Prepare(std::string_view query) override {
    return inner_.Prepare(query);
  }
  using Store::Query;
  void Query(size_t id, std::vector<store::Value> params, store::QueryLimits limits,
             TimePoint deadline, store::QueryCallback done) override {
    queries_.fetch_add(1, std::memory_order_relaxed);
    const auto start = std::chrono::steady_clock::now();
    inner_.Query(id, std::move(params), limits, deadline,
                 [h = &histogram_, start, done = std::move(done)](Result<store::Rows> rows) {
                   const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count();
                   h->ObserveUs(us > 0 ? static_cast<uint64_t>(us) : 0);
                   done(std::move(rows));
                 });
  }
  void Shutdown() override { inner_.Shutdown(); }

  // queries counts the calls to Query so far.
  uint64_t queries() const { return queries_.load(std::memory_order_relaxed); }

 private:
  store::Store& inner_;
  metrics::Histogram& histogram_;
  std::atomic<uint64_t> queries_{0};
};

}  // namespace shoal::cli
