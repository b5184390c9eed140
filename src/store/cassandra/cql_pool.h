// cql_pool: the connections to every node of the cluster, a few per node, kept open. Internal
// to store/cassandra (the session's).
//
// Each node has connections_per_node slots; each slot has at most one dial chain (dial ->
// open -> closed -> backoff -> dial ...), so a slot never has two connections dialled for it
// at once. A slot whose connection closes, or whose dial fails, is redialled after its own
// Backoff (base/backoff.h: exponential from reconnect_initial to reconnect_max, full jitter,
// reset by a successful dial), for as long as the pool is open: a node never "gives up".
// A node with no connection open is down, and Pick skips it.
//
// Logging (component "cassandra"): a connection opened (debug) and lost (warn, with the
// cause); a node going down (warn, once per state change: the first failure after it was up,
// or at Open) and coming back (info, once). Failed redials of a node that stays down log
// nothing. Closing at shutdown logs nothing.
//
// Ownership: owns its connections; the io_context must outlive the pool and its threads must
// be joined before the pool is destroyed (callbacks capture `this`). Thread-safety:
// thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_node_stats.h"
#include "store/cassandra/cql_topology.h"

namespace shoal::store::cassandra {

struct PoolOptions {
  ConnectionOptions connection;  // every field but host and port, which each node sets
  size_t connections_per_node = 2;
  Duration reconnect_initial = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);
  Logger* logger = &NullLogger();
};

class Pool {
 public:
  // `nodes` is fixed for the pool's life: a node index is stable, and callbacks capture it.
  Pool(boost::asio::io_context& io, PoolOptions options, std::vector<NodeInfo> nodes);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Open dials every slot of every node, then waits up to `wait` for each slot's first
  // outcome, so that the pool starts as full as the cluster allows. Call once.
  void Open(Duration wait) SHOAL_EXCLUDES(mu_);

  // Pick returns the open connection of `node` with the fewest requests in flight; null when
  // the node is down.
  std::shared_ptr<Connection> Pick(size_t node) SHOAL_EXCLUDES(mu_);
  // PickAny tries every node from `start` (modulo the node count) and returns the first pick.
  std::shared_ptr<Connection> PickAny(uint64_t start) SHOAL_EXCLUDES(mu_);

  // LastErrors joins each node's last connection error, for "no node is reachable" messages.
  std::string LastErrors() SHOAL_EXCLUDES(mu_);

  // Close stops redialling and closes every connection (their requests fail with
  // Unavailable). Clear drops the closed connections once the I/O threads are joined.
  void Close() SHOAL_EXCLUDES(mu_);
  void Clear() SHOAL_EXCLUDES(mu_);

  // Stats is `node`'s (cql_node_stats.h): the executor reports every attempt to it, routing
  // asks it whether the node is suspect. Valid for the pool's life.
  NodeStats& Stats(size_t node) SHOAL_EXCLUDES(mu_);
  // Reports returns every node's report (address, dc, up, and its stats).
  std::vector<NodeReport> Reports() const SHOAL_EXCLUDES(mu_);

  size_t size() const { return size_; }
  size_t nodes_up() const SHOAL_EXCLUDES(mu_);
  uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }

 private:
  enum class NodeState { kUnknown, kUp, kDown };
  struct Slot {
    std::shared_ptr<Connection> conn;  // null: not open
    Backoff backoff;
  };
  struct Node {
    NodeInfo info;
    std::vector<Slot> slots;
    NodeState state = NodeState::kUnknown;
    std::string last_error;
    std::unique_ptr<NodeStats> stats = std::make_unique<NodeStats>();
  };

  void Dial(size_t node, size_t slot) SHOAL_EXCLUDES(mu_);
  void OnDialed(size_t node, size_t slot, Result<std::shared_ptr<Connection>> r)
      SHOAL_EXCLUDES(mu_);
  void OnClosed(size_t node, size_t slot, const Status& cause) SHOAL_EXCLUDES(mu_);
  void ScheduleRedialLocked(size_t node, size_t slot) SHOAL_REQUIRES(mu_);
  // AnyOpenLocked says whether some slot of `n` holds an open connection.
  static bool AnyOpenLocked(const Node& n);

  boost::asio::io_context& io_;
  const PoolOptions options_;
  const size_t size_;
  const Log log_;

  mutable Mutex mu_;
  std::vector<Node> nodes_ SHOAL_GUARDED_BY(mu_);  // never resized
  size_t open_dials_left_ SHOAL_GUARDED_BY(mu_) = 0;
  CondVar open_cv_;
  bool closing_ SHOAL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace shoal::store::cassandra
