// cql_pool: the connections to every node of the cluster, a few per node, kept open, for a
// ring that changes. Internal to store/cassandra (the session's).
//
// Nodes: the pool's members are PoolNodes, each owned by shared_ptr: by the pool while the
// node is in the ring, and by every session View that lists it (cql_view.h), so by every Call
// planned on such a view. Sync makes the members those of a topology: a node is identified by
// its host_id when the server gave one (an address change keeps the node, its stats, and
// redials it at the new address), else by its address; a node new to the pool is created and
// dialled; a member the topology no longer lists is closed (its connections too) and never
// dialled again, though it stays alive, unroutable, while a View still holds it.
//
// Slots: each node has connections_per_node slots; each slot has at most one dial chain (dial
// -> open -> closed -> backoff -> dial ...), so a slot never has two connections dialled for
// it at once. A slot whose connection closes, or whose dial fails, is redialled after its own
// Backoff (base/backoff.h: exponential from reconnect_initial to reconnect_max, full jitter,
// reset by a successful dial), for as long as the node is a member: a node never "gives up".
// A new node whose CQL listener is not up yet (NEW_NODE and UP precede it) is thus retried
// within ~1 s. DialNow (the server said UP) resets every slot's backoff and dials the slots
// waiting for their timer at once.
//
// Routable: a node takes requests (PoolNode::Pick returns a connection) when a connection is
// open, it is warmed up, and the server has not said DOWN (SetServerDown) since the last
// connection to it opened (a new handshake overrides a DOWN whose UP was missed). Warm-up: when a
// node's first connection opens (a new node, or one back after being down) the pool calls
// PoolOptions::warm_up with it (the session prepares its statements there, cql_session.h)
// and makes the node routable only when it reports success; a failure closes that connection,
// so the slot redials after its backoff and warms up again.
//
// Logging (component "cassandra"): a node joining (info) and leaving (info) the ring; a
// connection opened (debug) and lost (warn, with the cause); a node going down (warn, once
// per state change: the first failure after it was up, or at first dial) and coming back
// (info, once); the server saying DOWN (warn) and UP (info), once per change. Failed redials
// of a node that stays down log nothing. Closing (at shutdown or removal) logs nothing more.
//
// Ownership: owns its nodes with the views; the io_context must outlive the pool and every
// PoolNode, and its threads must be joined before the pool is destroyed (callbacks capture
// `this`). Thread-safety: thread-safe; a PoolNode's methods too. Lock order: Pool::mu_, then
// a PoolNode's mu_.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/host_port.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_node_stats.h"
#include "store/cassandra/cql_topology.h"

namespace shoal::store::cassandra {

// WarmUp is told a node's first open connection; it calls `done` once (from any thread, not
// necessarily before returning) with whether the node may take requests.
using WarmUp =
    std::function<void(const std::shared_ptr<Connection>& conn, std::function<void(bool)> done)>;

struct PoolOptions {
  ConnectionOptions connection;  // every field but host and port, which each node sets
  size_t connections_per_node = 2;
  Duration reconnect_initial = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);
  WarmUp warm_up;  // empty: a node is routable as soon as a connection opens
  Logger* logger = &NullLogger();
};

class Pool;

// PoolNode is one node's slots, state and stats. Created by Pool::Sync only.
class PoolNode {
 public:
  PoolNode(const PoolNode&) = delete;
  PoolNode& operator=(const PoolNode&) = delete;

  // key is the node's identity: its host_id, or its address when the server gave none.
  const std::string& key() const { return key_; }
  NodeInfo info() const SHOAL_EXCLUDES(mu_);
  std::string address() const SHOAL_EXCLUDES(mu_);
  // stats is the node's (cql_node_stats.h): the executor reports every attempt to it, routing
  // asks it whether the node is suspect. Kept across address changes.
  NodeStats& stats() { return *stats_; }
  const NodeStats& stats() const { return *stats_; }

  // Pick returns the open connection with the fewest requests in flight; null when the node
  // is not routable (see the file comment) or has left the ring.
  std::shared_ptr<Connection> Pick() const SHOAL_EXCLUDES(mu_);
  // routable says whether Pick could return a connection now; routing's health function
  // maps false to kDown.
  bool routable() const SHOAL_EXCLUDES(mu_);
  bool removed() const SHOAL_EXCLUDES(mu_);
  // server_down says whether the last STATUS_CHANGE for the node was DOWN.
  bool server_down() const SHOAL_EXCLUDES(mu_);
  std::string last_error() const SHOAL_EXCLUDES(mu_);

 private:
  friend class Pool;
  enum class State { kUnknown, kUp, kDown };
  struct Slot {
    explicit Slot(Backoff b) : backoff(b) {}
    std::shared_ptr<Connection> conn;  // null: not open
    Backoff backoff;
    bool dialing = false;                              // a Connect is in progress
    std::shared_ptr<boost::asio::steady_timer> timer;  // a redial waiting, or null
    bool first_outcome_pending = true;                 // for Pool::WaitSettled
    // Counts dials: the close of a connection from an earlier dial (one refused because the
    // node moved) is not this slot's business.
    uint64_t gen = 0;
  };

  PoolNode(std::string key, NodeInfo info, const PoolOptions& options);
  bool AnyOpenLocked() const SHOAL_REQUIRES(mu_);
  bool RoutableLocked() const SHOAL_REQUIRES(mu_);

  const std::string key_;
  const std::unique_ptr<NodeStats> stats_ = std::make_unique<NodeStats>();

  mutable Mutex mu_;
  NodeInfo info_ SHOAL_GUARDED_BY(mu_);
  std::vector<Slot> slots_ SHOAL_GUARDED_BY(mu_);
  State state_ SHOAL_GUARDED_BY(mu_) = State::kUnknown;
  bool warm_ SHOAL_GUARDED_BY(mu_) = false;     // warm-up succeeded on an open connection
  bool warming_ SHOAL_GUARDED_BY(mu_) = false;  // a warm-up is running
  bool server_down_ SHOAL_GUARDED_BY(mu_) = false;
  bool removed_ SHOAL_GUARDED_BY(mu_) = false;  // left the ring or the pool closed
  std::string last_error_ SHOAL_GUARDED_BY(mu_);
};

class Pool {
 public:
  Pool(boost::asio::io_context& io, PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Sync makes the members those of `nodes` (see the file comment) and returns the member for
  // each of `nodes`, in order (a node listed twice, by identity, is given once: later copies
  // get the first's PoolNode). New nodes are dialled before it returns. After Close it
  // returns the nodes unchanged and dials nothing.
  std::vector<std::shared_ptr<PoolNode>> Sync(const std::vector<NodeInfo>& nodes)
      SHOAL_EXCLUDES(mu_);
  // WaitSettled waits up to `wait` until every slot dialled so far had its first outcome (so
  // that the session opens with the pools as full as the cluster allows).
  void WaitSettled(Duration wait) SHOAL_EXCLUDES(mu_);

  // Find returns the member at `endpoint` (events name nodes by address), or null.
  std::shared_ptr<PoolNode> Find(const HostPort& endpoint) const SHOAL_EXCLUDES(mu_);
  // SetServerDown records the server's STATUS_CHANGE for `node`: DOWN makes it unroutable at
  // once; UP makes it routable again when a connection is open, and calls DialNow.
  void SetServerDown(const std::shared_ptr<PoolNode>& node, bool down) SHOAL_EXCLUDES(mu_);
  // DialNow resets every slot's backoff and dials the slots waiting for a redial.
  void DialNow(const std::shared_ptr<PoolNode>& node) SHOAL_EXCLUDES(mu_);

  // LastErrors joins each member's last connection error, for "no node is reachable".
  std::string LastErrors() const SHOAL_EXCLUDES(mu_);

  // Close stops redialling and closes every connection (their requests fail with
  // Unavailable). Clear drops the closed connections once the I/O threads are joined.
  void Close() SHOAL_EXCLUDES(mu_);
  void Clear() SHOAL_EXCLUDES(mu_);

  // Reports returns every member's report (address, dc, up, and its stats), in the order they
  // joined.
  std::vector<NodeReport> Reports() const SHOAL_EXCLUDES(mu_);
  // Test and metrics views.
  std::vector<std::shared_ptr<PoolNode>> members() const SHOAL_EXCLUDES(mu_);
  size_t size() const SHOAL_EXCLUDES(mu_);
  size_t nodes_up() const SHOAL_EXCLUDES(mu_);  // routable members
  uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }

 private:
  using NodePtr = std::shared_ptr<PoolNode>;
  void Dial(const NodePtr& node, size_t slot);
  // `at` is where the dial went: a node that moved meanwhile refuses the connection.
  void OnDialed(const NodePtr& node, size_t slot, const HostPort& at,
                Result<std::shared_ptr<Connection>> r);
  void OnClosed(const NodePtr& node, size_t slot, uint64_t gen, const Status& cause);
  void ScheduleRedialLocked(const NodePtr& node, size_t slot) SHOAL_REQUIRES(node->mu_);
  void StartWarmUp(const NodePtr& node, const std::shared_ptr<Connection>& conn);
  void OnWarmedUp(const NodePtr& node, const std::shared_ptr<Connection>& conn, bool ok);
  // CloseNode marks `node` removed and closes its connections and timers.
  static void CloseNode(const NodePtr& node);
  void SettledOne();

  boost::asio::io_context& io_;
  const PoolOptions options_;
  const Log log_;

  mutable Mutex mu_;
  std::vector<NodePtr> nodes_ SHOAL_GUARDED_BY(mu_);  // the members, in the order they joined
  bool closing_ SHOAL_GUARDED_BY(mu_) = false;
  CondVar settled_cv_;
  std::atomic<size_t> unsettled_{0};  // slots whose first outcome is still due
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace shoal::store::cassandra
