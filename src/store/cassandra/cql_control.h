// cql_control: the session's control connection, which follows the ring as it changes.
// Internal to store/cassandra (the session's, cql_session.h).
//
// One connection, not from the pool, REGISTERed for TOPOLOGY_CHANGE, STATUS_CHANGE and
// SCHEMA_CHANGE (cql_event.h). Its own thread (the "control thread") does the blocking work
// (cql_blocking.h), never an I/O thread:
//   Events    arrive on the connection's strand, are parsed there (a malformed one is logged,
//             warn, rate-limited, and dropped) and queued; the control thread hands each to
//             Hooks::on_event at once (the session acts on UP and DOWN without waiting), and
//             schedules a refresh `debounce` after the first event of a burst (events come in
//             bursts: one refresh serves them all).
//   Refresh   DiscoverTopology (cql_topology.h; with the keyspace's replication, so a schema
//             change re-reads it) over the control connection, then
//             Hooks::on_topology with the result: after an event (debounced), after
//             (re)connecting (events may have been missed), and every refresh_interval. A
//             failure is logged (warn, rate-limited) and retried at the next occasion; the
//             session keeps its view meanwhile.
//   Failover  when the control connection closes (or a refresh finds it broken), the
//             control thread dials the known nodes (the last topology's, in order) and then
//             the contact points (the node just lost last), the first that answers and accepts
//             REGISTER becoming the new control connection (logged, info); when none answers it
//             waits a Backoff (reconnect_initial .. reconnect_max, full jitter) and tries again.
// Hooks run on the control thread, one at a time; they must not block for long.
//
// Ownership: the io_context must outlive the Control and run until Stop returns. Stop (and
// the destructor) closes the connection and joins the thread; it may wait for a dial in
// progress (at most connect_timeout). Thread-safety: thread-safe; Stop must not be called from
// a hook.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/backoff.h"
#include "base/cidr.h"
#include "base/clock.h"
#include "base/host_port.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_event.h"
#include "store/cassandra/cql_topology.h"

namespace shoal::store::cassandra {

struct ControlOptions {
  ConnectionOptions connection;  // every field but host, port and on_event
  std::vector<HostPort> contact_points;
  std::vector<Cidr> node_networks;  // Discovery's
  bool discover_peers = true;
  std::string keyspace;  // Discovery's: its replication is read with every refresh
  Duration refresh_interval = std::chrono::seconds(60);
  Duration debounce = std::chrono::milliseconds(300);
  Duration reconnect_initial = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(5);  // each discovery query and REGISTER
  Logger* logger = &NullLogger();
};

struct ControlHooks {
  std::function<void(Topology)> on_topology;
  std::function<void(const Event&)> on_event;
  // After a failover: events sent while there was no control connection were lost (an UP
  // among them), so what they said must be forgotten.
  std::function<void()> on_reconnected;
};

class Control {
 public:
  Control(boost::asio::io_context& io, ControlOptions options, ControlHooks hooks);
  ~Control();  // Stop()
  Control(const Control&) = delete;
  Control& operator=(const Control&) = delete;

  // Open connects to the first contact point that answers and accepts REGISTER (each tried
  // in order; InvalidArgument, a refused login or keyspace, stops the search: it would fail
  // everywhere) and reads the ring through it, on the calling thread. Errors: that
  // InvalidArgument, Unavailable naming every contact point's failure, or discovery's.
  // Call once, before Start.
  Result<Topology> Open() SHOAL_EXCLUDES(mu_);
  // Start starts the control thread (events, refreshes, failover). Call once, after Open.
  void Start() SHOAL_EXCLUDES(mu_);
  // Stop closes the connection and joins the thread. Idempotent.
  void Stop() SHOAL_EXCLUDES(mu_);
  // RequestRefresh asks for a refresh after `delay` (sooner if one was due sooner). May be
  // called from a hook.
  void RequestRefresh(Duration delay) SHOAL_EXCLUDES(mu_);
  // CloseConnectionForTest closes the control connection as a network failure would.
  void CloseConnectionForTest() SHOAL_EXCLUDES(mu_);

  // Counters (tests and metrics).
  uint64_t refreshes() const { return refreshes_.load(std::memory_order_relaxed); }
  uint64_t refresh_failures() const { return refresh_failures_.load(std::memory_order_relaxed); }
  uint64_t events(EventType type) const {
    return events_[static_cast<size_t>(type)].load(std::memory_order_relaxed);
  }
  uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }
  // address is where the control connection is now ("" while it has none).
  std::string address() const SHOAL_EXCLUDES(mu_);

 private:
  void Run() SHOAL_EXCLUDES(mu_);
  // Reconnect tries every known node, then the contact points, once each; true when one
  // answered and accepted REGISTER.
  bool Reconnect() SHOAL_EXCLUDES(mu_);
  // Dial connects to `at` and REGISTERs; on success `at`'s connection becomes the control
  // connection.
  Status Dial(const HostPort& at) SHOAL_EXCLUDES(mu_);
  // Discover reads the ring over the control connection and remembers its nodes.
  Result<Topology> Discover() SHOAL_EXCLUDES(mu_);
  void Refresh() SHOAL_EXCLUDES(mu_);
  ConnectionOptions OptionsFor(const HostPort& at);
  void OnEvent(const Frame& frame) SHOAL_EXCLUDES(mu_);
  void OnClosed() SHOAL_EXCLUDES(mu_);

  boost::asio::io_context& io_;
  const ControlOptions options_;
  const ControlHooks hooks_;
  const Log log_;
  LogLimiter warn_limiter_{std::chrono::seconds(10), 3};
  Backoff backoff_;  // the control thread's

  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ SHOAL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Connection> conn_ SHOAL_GUARDED_BY(mu_);  // null or closed: none
  HostPort at_ SHOAL_GUARDED_BY(mu_);
  std::vector<HostPort> known_ SHOAL_GUARDED_BY(mu_);  // the last topology's nodes
  std::deque<Event> queued_ SHOAL_GUARDED_BY(mu_);
  std::optional<TimePoint> refresh_at_ SHOAL_GUARDED_BY(mu_);  // a debounced refresh
  TimePoint periodic_at_ SHOAL_GUARDED_BY(mu_);
  std::thread thread_;

  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> refresh_failures_{0};
  std::array<std::atomic<uint64_t>, 3> events_{};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace shoal::store::cassandra
