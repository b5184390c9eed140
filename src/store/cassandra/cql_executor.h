// cql_executor: one Execute on its way through attempts. Internal to store/cassandra (the
// session's request path).
//
//   Attempt   the call's plan (cql_routing.h), made on the call's View (cql_view.h), is walked
//             in order; a node that is not routable (PoolNode::Pick) is skipped; none left is
//             Unavailable ("no node is reachable"). Every attempt is reported to its node's
//             NodeStats (cql_node_stats.h): sent, timed out, answered (with its latency),
//             broken or abandoned.
//   Health    each attempt has its own time, shorter than the call's: max(kAttemptFloor,
//             kAttemptP99Multiple x the node's recent p99), at most half the time the call
//             has left (so one more attempt fits), and none when that is below kAttemptFloor.
//             When it passes with no answer, the node is told (NodeStats::OnTimeout: timeouts
//             in a row make it suspect) and an idempotent call is sent to the next node of its
//             plan as well, the first attempt staying outstanding: a hung node costs a call
//             one attempt's time, not its deadline.
//   Speculation  for idempotent calls when SessionOptions::speculative_delay is set (or
//             speculative_p99: the node's recent p99, at least 1 ms; none while the node has
//             too few answers for one): when the newest attempt has no answer after the delay,
//             the next node of the plan is asked too, at most speculative_max times per call.
//             The first answer wins (speculative_won counts the calls a speculative attempt
//             won); the others are still awaited, for their node's statistics, and then
//             dropped. The connection quarantines the stream id of an attempt whose answer
//             never comes (cql_connection.h).
//   Retries   only for calls marked idempotent, at most one per call, as cql_error.h's
//             AdviseRetry says: another node for a node that is bootstrapping, unavailable,
//             overloaded or whose connection broke; the same node for a read timeout where the
//             data replica alone was late. A failed attempt ends the call only when no other
//             attempt is outstanding (the last failure is the call's).
//   Unprepared  is not a retry: the statement is prepared again on that connection and the
//             EXECUTE resent, once (logged at info, rate-limited). A re-prepare the server
//             refuses, or that yields another id, fails the call with Internal.
//   Errors    the server's ERROR becomes a Status by code alone (cql_error.h's ErrorStatus at
//             the request stage); a body that does not parse is Internal. Both the errors the
//             operator must fix and protocol faults are logged (error, rate-limited) with the
//             node and the query. Paging is the caller's (ExecuteOptions::paging_state).
//
// A Call is shared by the callbacks of its attempts and their timers; its mutable state is
// under Call::mu (several attempts may be answered at once on different I/O threads), and the
// `finished` flag makes Finish run exactly once. Callbacks and timers hold the Call, never the
// other way round, except an attempt's timer, which the attempt's end destroys (cancelling it).
// Timers left at Shutdown (those of attempts still outstanding when the I/O threads stop) are
// destroyed, unrun, with the io_context; each expires no later than its call's deadline.
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
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_session.h"
#include "store/cassandra/cql_view.h"

namespace shoal::store::cassandra {

// Call is one Execute: what to send, where to try it, and how far it got.
struct Call {
  // Set before Start, read-only afterwards.
  std::shared_ptr<const PreparedStatement> statement;
  std::string values;
  uint16_t count = 0;
  ExecuteOptions options;
  TimePoint deadline;
  ResultCallback done;
  // The ring the plan was made on: plan's node indexes are positions in view->nodes, valid
  // for the Call's life whatever the ring does meanwhile (cql_view.h).
  std::shared_ptr<const View> view;
  std::vector<size_t> plan;  // node indexes in the order to try

  // One send of the call to a node.
  struct Attempt {
    size_t node = 0;
    TimePoint sent;
    TimePoint timeout_at = TimePoint::max();    // its own time; max: the call's deadline
    TimePoint speculate_at = TimePoint::max();  // max: no speculation from it
    bool speculative = false;
    bool timed_out = false;  // reported to the node
    bool ended = false;      // its callback ran
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  // The executor's.
  Mutex mu;
  size_t next SHOAL_GUARDED_BY(mu) = 0;  // position in plan of the next node to try
  std::shared_ptr<Connection> pinned SHOAL_GUARDED_BY(mu);  // the next attempt must use it
  size_t pinned_node SHOAL_GUARDED_BY(mu) = 0;
  int retries_left SHOAL_GUARDED_BY(mu) = 1;
  size_t speculative_left SHOAL_GUARDED_BY(mu) = 0;
  bool reprepared SHOAL_GUARDED_BY(mu) = false;
  size_t outstanding SHOAL_GUARDED_BY(mu) = 0;  // attempts and re-prepares not yet answered
  bool finished SHOAL_GUARDED_BY(mu) = false;
  std::vector<Attempt> attempts SHOAL_GUARDED_BY(mu);
};

class Executor {
 public:
  // An attempt's own time is never below kAttemptFloor (see above).
  static constexpr Duration kAttemptFloor = std::chrono::milliseconds(100);
  static constexpr int kAttemptP99Multiple = 4;
  static constexpr Duration kSpeculativeFloor = std::chrono::milliseconds(1);

  // Used from `options`: logger, speculative_delay, speculative_p99, speculative_max.
  // `faults` is shared with the connections (ConnectionOptions::fault_limiter).
  Executor(boost::asio::io_context& io, Pool& pool, const SessionOptions& options,
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
  // What an answer or a timer decided, to be done once Call::mu is released.
  struct Outcome;

  // PickConnection and StatsOf are where a node index becomes a connection and statistics.
  std::shared_ptr<Connection> PickConnection(const Call& call, size_t node);
  NodeStats& StatsOf(const Call& call, size_t node);

  // LaunchLocked sends the next attempt (to `pinned`, else to the next node of the plan with a
  // connection open); false when there is none.
  bool LaunchLocked(const std::shared_ptr<Call>& call, bool speculative) SHOAL_REQUIRES(call->mu);
  void ArmLocked(const std::shared_ptr<Call>& call, size_t index) SHOAL_REQUIRES(call->mu);
  void OnTimer(const std::shared_ptr<Call>& call, size_t index);
  void OnResponse(const std::shared_ptr<Call>& call, const std::shared_ptr<Connection>& conn,
                  size_t index, Result<Frame> r);
  // DecideLocked handles an answer (or a failure) of attempt `index`; its result is applied
  // after the lock is released.
  Outcome DecideLocked(const std::shared_ptr<Call>& call, const std::shared_ptr<Connection>& conn,
                       size_t index, Result<Frame>& r) SHOAL_REQUIRES(call->mu);
  // DecidePrepared handles the answer to a re-prepare on `conn` (of `node`).
  Outcome DecidePrepared(const std::shared_ptr<Call>& call, const std::shared_ptr<Connection>& conn,
                         size_t node, Result<Frame>& r) SHOAL_REQUIRES(call->mu);
  // FailLocked ends the call with `status` unless another attempt is outstanding.
  Outcome FailLocked(Call& call, Status status) SHOAL_REQUIRES(call.mu);
  void Reprepare(const std::shared_ptr<Call>& call, const std::shared_ptr<Connection>& conn,
                 size_t node);
  void Apply(const std::shared_ptr<Call>& call, Outcome outcome);
  void Finish(const std::shared_ptr<Call>& call, Result<ResultMessage> r);
  void FinishLater(std::shared_ptr<Call> call, Status status);
  // Fault logs `status` (an error the operator or a developer must look at) with the query.
  void Fault(const Call& call, const Status& status);

  boost::asio::io_context& io_;
  Pool& pool_;
  const Log log_;
  const Duration speculative_delay_;
  const bool speculative_p99_;
  const size_t speculative_max_;
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
