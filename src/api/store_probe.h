// StoreProbe: asks the store one cheap query every ReadinessOptions::probe_interval, on a
// thread of its own, and records the outcome in a Readiness, so that an idle node stays ready
// while its store answers and turns unready (within ready.window) when it stops answering.
//
// The query is the store adapter's cheapest one that still reaches the database: for SQLite
// "SELECT count(*) FROM sqlite_master" (it reads the schema page, so it needs the file's
// shared lock and fails while the file is locked or unreadable; "SELECT 1" would not touch
// the file), for Cassandra "SELECT release_version FROM system.local". It runs through the
// store's own queue and threads (Prepare once, then Query), so it fails the way an endpoint's
// query would. At most one probe is in flight; each has probe_interval (at most `timeout`) to
// answer.
//
// Logging (component "ready"): one line when the node turns unready (with the reasons and the
// store's own message of the last failure, for the operator) and one when it is ready again.
//
// Ownership: borrows the store and the Readiness, which must outlive it; Stop (or the
// destructor) joins the thread and waits for a probe in flight, so Stop before the store's
// Shutdown. Thread-safety: Start and Stop from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/readiness.h"
#include "base/logger.h"
#include "base/status.h"
#include "store/store.h"

namespace shoal::api {

class StoreProbe {
 public:
  // `timeout`: the longest a probe may take (store.timeout); the probe uses the shorter of it
  // and probe_interval.
  StoreProbe(store::Store& store, Readiness& readiness, Duration timeout, Logger* logger);
  ~StoreProbe();  // Stop()
  StoreProbe(const StoreProbe&) = delete;
  StoreProbe& operator=(const StoreProbe&) = delete;

  // Start prepares `query` and starts the thread, which probes at once and then every
  // interval. The store's error when the query cannot be prepared.
  Status Start(std::string_view query);
  // Stop ends the thread and waits for a probe in flight. Idempotent.
  void Stop();
  // sent is the probe queries handed to the store so far (they are not an endpoint's: serve
  // takes them out of shoal_store_queries_total and counts them in shoal_ready_probes_total).
  uint64_t sent() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// kSqliteProbeQuery, kCassandraProbeQuery: the probe's query for each store.
inline constexpr std::string_view kSqliteProbeQuery = "SELECT count(*) FROM sqlite_master";
inline constexpr std::string_view kCassandraProbeQuery = "SELECT release_version FROM system.local";

}  // namespace shoal::api
