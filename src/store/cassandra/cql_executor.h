// cql_executor: one Execute on its way through attempts. Internal to store/cassandra (the
// session's request path).
//
//   Attempt   the call's plan (cql_routing.h), made on the call's View (cql_view.h), is walked
//             in order; a node that is not routable (PoolNode::Pick) is skipped; none left is
//             Unavailable ("no node is reachable").
//   Retries   only for calls marked idempotent, at most one per call, as cql_error.h's
//             AdviseRetry says: another node for a node that is bootstrapping, unavailable,
//             overloaded or whose connection broke; the same node for a read timeout where the
//             data replica alone was late.
//   Unprepared  is not a retry: the statement is prepared again on that connection and the
//             EXECUTE resent, once (logged at info, rate-limited). A re-prepare the server
//             refuses, or that yields another id, fails the call with Internal.
//   Errors    the server's ERROR becomes a Status by code alone (cql_error.h's ErrorStatus at
//             the request stage); a body that does not parse is Internal. Both the errors the
//             operator must fix and protocol faults are logged (error, rate-limited) with the
//             node and the query. Paging is the caller's (ExecuteOptions::paging_state).
//
// A Call is owned by the callbacks of the request carrying it: exactly one holds it at a
// time, and Finish runs once, in a response callback or a posted handler.
// Ownership: the io_context and the pool must outlive the executor, and the I/O threads must
// be joined before it is destroyed (callbacks capture `this`). Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "base/logger.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_session.h"
#include "store/cassandra/cql_view.h"

namespace shoal::store::cassandra {

// Call is one Execute: what to send, where to try it, and how far it got.
struct Call {
  std::shared_ptr<const PreparedStatement> statement;
  std::string values;
  uint16_t count = 0;
  ExecuteOptions options;
  TimePoint deadline;
  ResultCallback done;
  // The ring the plan was made on: plan's node indexes are positions in view->nodes, valid
  // for the Call's life whatever the ring does meanwhile (cql_view.h).
  std::shared_ptr<const View> view;
  std::vector<size_t> plan;            // node indexes in the order to try
  size_t next = 0;                     // position in plan of the node being tried
  std::shared_ptr<Connection> pinned;  // the next attempt must use this connection
  int retries_left = 1;
  bool reprepared = false;
};

class Executor {
 public:
  // `faults` is shared with the connections (ConnectionOptions::fault_limiter).
  Executor(boost::asio::io_context& io, Pool& pool, Logger* logger,
           std::shared_ptr<LogLimiter> faults);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Start admits `call` and sends its first attempt; false, sending nothing and keeping
  // `call`, once Stop has been called (the caller answers Cancelled itself).
  bool Start(std::shared_ptr<Call>& call);
  // Stop refuses every later Start; WaitIdle waits up to `limit` for the calls in flight.
  void Stop() { stopping_.store(true); }
  void WaitIdle(Duration limit) const;

  uint64_t reprepares() const { return reprepares_.load(std::memory_order_relaxed); }
  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  uint64_t speculative_launched() const {
    return speculative_launched_.load(std::memory_order_relaxed);
  }
  uint64_t speculative_won() const { return speculative_won_.load(std::memory_order_relaxed); }

 private:
  void Attempt(std::shared_ptr<Call> call);
  void OnResponse(std::shared_ptr<Call> call, const std::shared_ptr<Connection>& conn,
                  Result<Frame> r);
  void Reprepare(std::shared_ptr<Call> call, std::shared_ptr<Connection> conn);
  void Finish(const std::shared_ptr<Call>& call, Result<ResultMessage> r);
  void FinishLater(std::shared_ptr<Call> call, Status status);
  // Fault logs `status` (an error the operator or a developer must look at) with the query.
  void Fault(const Call& call, const Status& status);

  boost::asio::io_context& io_;
  Pool& pool_;
  const Log log_;
  const std::shared_ptr<LogLimiter> faults_;
  LogLimiter reprepare_log_{std::chrono::seconds(10), 10};

  std::atomic<bool> stopping_{false};
  std::atomic<size_t> calls_in_flight_{0};
  std::atomic<uint64_t> reprepares_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> speculative_launched_{0};
  std::atomic<uint64_t> speculative_won_{0};
};

}  // namespace shoal::store::cassandra
