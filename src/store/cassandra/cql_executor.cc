// cql_executor: see cql_executor.h.
#include "store/cassandra/cql_executor.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/post.hpp>

#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_response.h"

namespace shoal::store::cassandra {

namespace asio = boost::asio;

namespace {

// QueryForLog shortens a statement's text for a log line.
std::string QueryForLog(const Call& call) {
  constexpr size_t kMax = 200;
  const std::string& q = call.statement->query;
  return q.size() <= kMax ? q : q.substr(0, kMax) + "...";
}

TimePoint Now() { return std::chrono::steady_clock::now(); }

}  // namespace

struct Executor::Outcome {
  enum class Kind { kWait, kFinish, kFinishLater, kReprepare };
  Kind kind = Kind::kWait;
  std::optional<Result<ResultMessage>> result;  // kFinish
  std::shared_ptr<Connection> conn;             // kReprepare
  size_t node = 0;                              // kReprepare
};

Executor::Executor(asio::io_context& io, Pool& pool, const SessionOptions& options,
                   std::shared_ptr<LogLimiter> faults)
    : io_(io),
      pool_(pool),
      log_(options.logger, "cassandra"),
      speculative_delay_(options.speculative_delay),
      speculative_p99_(options.speculative_p99),
      speculative_max_(options.speculative_max),
      faults_(std::move(faults)) {}

std::shared_ptr<Connection> Executor::PickConnection(const Call& call, size_t node) {
  return call.view->nodes[node]->Pick();
}

NodeStats& Executor::StatsOf(const Call& call, size_t node) {
  return call.view->nodes[node]->stats();
}

bool Executor::Start(std::shared_ptr<Call>& call) {
  // Count first, then look (both sequentially consistent, as in Stop then WaitIdle): either
  // the shutdown waits for this call, or the call sees the shutdown.
  calls_in_flight_.fetch_add(1);
  if (stopping_.load()) {
    calls_in_flight_.fetch_sub(1);
    return false;
  }
  std::shared_ptr<Call> c = std::move(call);
  bool sent = false;
  {
    MutexLock lock(c->mu);
    const bool speculation = speculative_delay_ > Duration{} || speculative_p99_;
    c->speculative_left = c->options.idempotent && speculation ? speculative_max_ : 0;
    sent = LaunchLocked(c, false);
  }
  if (!sent) {
    FinishLater(std::move(c), Status::Unavailable("cassandra: no node is reachable (" +
                                                  pool_.LastErrors() + ")"));
  }
  return true;
}

void Executor::WaitIdle(Duration limit) const {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (calls_in_flight_.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Executor::Finish(const std::shared_ptr<Call>& call, Result<ResultMessage> r) {
  call->done(std::move(r));
  calls_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
}

void Executor::FinishLater(std::shared_ptr<Call> call, Status status) {
  asio::post(io_,
             [this, call = std::move(call), status = std::move(status)] { Finish(call, status); });
}

void Executor::Fault(const Call& call, const Status& status) {
  faults_->Write(log_, LogLevel::kError,
                 std::string(status.message()) + " (query: " + QueryForLog(call) + ")");
}

bool Executor::LaunchLocked(const std::shared_ptr<Call>& call, bool speculative) {
  std::shared_ptr<Connection> conn = std::move(call->pinned);
  call->pinned = nullptr;
  size_t node = call->pinned_node;
  while (!conn && call->next < call->plan.size()) {
    node = call->plan[call->next++];
    conn = PickConnection(*call, node);
  }
  if (!conn) return false;
  const TimePoint now = Now();
  NodeStats& stats = StatsOf(*call, node);
  Call::Attempt& a = call->attempts.emplace_back();
  const size_t index = call->attempts.size() - 1;
  a.node = node;
  a.sent = now;
  a.speculative = speculative;
  // Its own time (cql_executor.h): enough for the node's usual answers, and room for one more.
  const Duration left = call->deadline - now;
  const Duration own =
      std::min(std::max(kAttemptFloor, kAttemptP99Multiple * stats.RecentP99(now)), left / 2);
  if (own >= kAttemptFloor) a.timeout_at = now + own;
  if (call->speculative_left > 0) {
    Duration delay = speculative_delay_;
    if (speculative_p99_) {
      const Duration p99 = stats.RecentP99(now);
      delay = p99 > Duration{} ? std::max(kSpeculativeFloor, p99) : Duration{};
    }
    if (delay > Duration{} && now + delay < std::min(a.timeout_at, call->deadline)) {
      a.speculate_at = now + delay;
    }
  }
  stats.OnSent(now);
  ++call->outstanding;
  ArmLocked(call, index);
  Call* raw = call.get();
  conn->Send(
      [raw](std::string& out, int16_t stream) {
        QueryParameters p;
        p.consistency = raw->options.consistency;
        p.values = raw->values;
        p.value_count = raw->count;
        p.page_size = raw->options.page_size;
        if (raw->options.paging_state) p.paging_state = *raw->options.paging_state;
        return AppendExecute(out, stream, raw->statement->result.id, p);
      },
      call->deadline,
      [this, call, conn, index](Result<Frame> r) { OnResponse(call, conn, index, std::move(r)); });
  return true;
}

void Executor::ArmLocked(const std::shared_ptr<Call>& call, size_t index) {
  Call::Attempt& a = call->attempts[index];
  const TimePoint at = std::min(a.speculate_at, a.timeout_at);
  if (at == TimePoint::max()) {
    a.timer.reset();
    return;
  }
  if (!a.timer) a.timer = std::make_unique<asio::steady_timer>(io_);
  a.timer->expires_at(at);
  a.timer->async_wait([this, call, index](const boost::system::error_code& ec) {
    if (!ec) OnTimer(call, index);
  });
}

void Executor::OnTimer(const std::shared_ptr<Call>& call, size_t index) {
  MutexLock lock(call->mu);
  Call::Attempt& a = call->attempts[index];
  if (a.ended) return;
  const TimePoint now = Now();
  const bool newest = index + 1 == call->attempts.size();
  const bool more = !call->finished && newest && !stopping_.load(std::memory_order_acquire);
  if (a.speculate_at <= now && now < a.timeout_at) {
    a.speculate_at = TimePoint::max();
    if (more && call->speculative_left > 0 && LaunchLocked(call, true)) {
      --call->speculative_left;
      speculative_launched_.fetch_add(1, std::memory_order_relaxed);
    }
    ArmLocked(call, index);  // for its own timeout
    return;
  }
  if (now < a.timeout_at) {  // woken early: wait on
    ArmLocked(call, index);
    return;
  }
  a.timeout_at = TimePoint::max();
  a.speculate_at = TimePoint::max();
  a.timed_out = true;
  StatsOf(*call, a.node).OnTimeout(now);
  // The attempt stays outstanding (its answer may still win); an idempotent call is sent to
  // the next node too.
  if (more && call->options.idempotent && LaunchLocked(call, false)) {
    retries_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Executor::OnResponse(const std::shared_ptr<Call>& call,
                          const std::shared_ptr<Connection>& conn, size_t index, Result<Frame> r) {
  Outcome outcome;
  {
    MutexLock lock(call->mu);
    Call::Attempt& a = call->attempts[index];
    a.ended = true;
    a.timer.reset();  // cancels it
    --call->outstanding;
    const TimePoint now = Now();
    NodeStats& stats = StatsOf(*call, a.node);
    if (r.ok()) {
      stats.OnAnswered(now, now - a.sent, r->header.opcode == Opcode::kError, !a.timed_out);
    } else if (r.status().code() == StatusCode::kUnavailable) {
      stats.OnBroken();
    } else {
      if (r.status().code() == StatusCode::kDeadlineExceeded && !a.timed_out) {
        stats.OnTimeout(now);
      }
      stats.OnAbandoned();
    }
    if (call->finished) return;  // another attempt won; this answer was awaited for the stats
    outcome = DecideLocked(call, conn, index, r);
  }
  Apply(call, std::move(outcome));
}

Executor::Outcome Executor::FailLocked(Call& call, Status status) {
  Outcome o;
  if (call.outstanding > 0) return o;  // another attempt may still answer
  call.finished = true;
  o.kind = Outcome::Kind::kFinish;
  o.result.emplace(std::move(status));
  return o;
}

void Executor::Apply(const std::shared_ptr<Call>& call, Outcome outcome) {
  switch (outcome.kind) {
    case Outcome::Kind::kWait:
      return;
    case Outcome::Kind::kFinish:
      Finish(call, std::move(*outcome.result));
      return;
    case Outcome::Kind::kFinishLater:
      FinishLater(call, outcome.result->status());
      return;
    case Outcome::Kind::kReprepare:
      Reprepare(call, outcome.conn, outcome.node);
      return;
  }
}

Executor::Outcome Executor::DecideLocked(const std::shared_ptr<Call>& call,
                                         const std::shared_ptr<Connection>& conn, size_t index,
                                         Result<Frame>& r) {
  const bool stopping = stopping_.load(std::memory_order_acquire);
  if (!r.ok()) {
    // The call's own deadline: nothing else will be in time either.
    if (r.status().code() == StatusCode::kDeadlineExceeded) {
      Outcome o;
      call->finished = true;
      o.kind = Outcome::Kind::kFinish;
      o.result.emplace(r.status());
      return o;
    }
    // A connection that broke under the request.
    if (r.status().code() == StatusCode::kUnavailable && call->options.idempotent &&
        call->retries_left > 0 && !stopping && LaunchLocked(call, false)) {
      --call->retries_left;
      retries_.fetch_add(1, std::memory_order_relaxed);
      return Outcome{};
    }
    return FailLocked(*call, r.status());
  }
  const std::string where = "cassandra: " + conn->address() + ": ";
  Result<ResponseBody> body = SplitResponseBody(*r);
  if (!body.ok()) {
    const Status s = Status::Internal(where + std::string(body.status().message()));
    Fault(*call, s);
    return FailLocked(*call, s);
  }
  if (r->header.opcode == Opcode::kResult) {
    Result<ResultMessage> m = ParseResult(body->message);
    if (!m.ok()) {
      const Status s = Status::Internal(where + "bad RESULT: " + std::string(m.status().message()));
      Fault(*call, s);
      return FailLocked(*call, s);
    }
    // The first answer wins.
    Outcome o;
    call->finished = true;
    if (call->attempts[index].speculative) {
      speculative_won_.fetch_add(1, std::memory_order_relaxed);
    }
    o.kind = Outcome::Kind::kFinish;
    o.result.emplace(std::move(m));
    return o;
  }
  Result<ErrorResponse> error = r->header.opcode == Opcode::kError
                                    ? ParseError(body->message)
                                    : Result<ErrorResponse>(Status::Internal(""));
  if (!error.ok()) {
    const Status s =
        Status::Internal(where + (r->header.opcode == Opcode::kError
                                      ? "bad ERROR: " + std::string(error.status().message())
                                      : "unexpected " + std::string(OpcodeName(r->header.opcode))));
    Fault(*call, s);
    return FailLocked(*call, s);
  }
  const size_t node = call->attempts[index].node;
  switch (AdviseRetry(*error, call->options.idempotent)) {
    case RetryAdvice::kReprepare:
      if (!call->reprepared) {
        call->reprepared = true;
        reprepares_.fetch_add(1, std::memory_order_relaxed);
        reprepare_log_.Write(log_, LogLevel::kInfo,
                             "preparing again on " + conn->address() +
                                 " (the node answered Unprepared): " + QueryForLog(*call));
        ++call->outstanding;  // the PREPARE
        Outcome o;
        o.kind = Outcome::Kind::kReprepare;
        o.conn = conn;
        o.node = node;
        return o;
      }
      break;
    case RetryAdvice::kSameNode:
      if (call->retries_left > 0 && !stopping) {
        call->pinned = conn;
        call->pinned_node = node;
        if (LaunchLocked(call, false)) {
          --call->retries_left;
          retries_.fetch_add(1, std::memory_order_relaxed);
          return Outcome{};
        }
      }
      break;
    case RetryAdvice::kNextNode:
      if (call->retries_left > 0 && !stopping && LaunchLocked(call, false)) {
        --call->retries_left;
        retries_.fetch_add(1, std::memory_order_relaxed);
        return Outcome{};
      }
      break;
    case RetryAdvice::kNone:
      break;
  }
  const Status s = ErrorStatus(*error, where, ErrorStage::kRequest);
  if (s.code() == StatusCode::kInternal) Fault(*call, s);
  return FailLocked(*call, s);
}

void Executor::Reprepare(const std::shared_ptr<Call>& call, const std::shared_ptr<Connection>& conn,
                         size_t node) {
  Call* raw = call.get();
  conn->Send([raw](std::string& out,
                   int16_t stream) { return AppendPrepare(out, stream, raw->statement->query); },
             call->deadline,
             [this, call, conn, node](Result<Frame> r) {
               Outcome outcome;
               {
                 MutexLock lock(call->mu);
                 --call->outstanding;
                 if (call->finished) return;
                 outcome = DecidePrepared(call, conn, node, r);
               }
               Apply(call, std::move(outcome));
             });
}

Executor::Outcome Executor::DecidePrepared(const std::shared_ptr<Call>& call,
                                           const std::shared_ptr<Connection>& conn, size_t node,
                                           Result<Frame>& r) {
  if (!r.ok()) return FailLocked(*call, r.status());
  const std::string where = "cassandra: " + conn->address() + ": preparing again: ";
  Result<ResponseBody> body = SplitResponseBody(*r);
  if (body.ok() && r->header.opcode == Opcode::kError) {
    if (Result<ErrorResponse> e = ParseError(body->message); e.ok()) {
      // A statement that no longer prepares (its table is gone: Invalid) is Internal, the
      // operator's to fix; an overloaded node stays Unavailable.
      const Status s = ErrorStatus(*e, where, ErrorStage::kRequest);
      if (s.code() == StatusCode::kInternal) Fault(*call, s);
      return FailLocked(*call, s);
    }
  }
  Result<ResultMessage> m = body.ok() && r->header.opcode == Opcode::kResult
                                ? ParseResult(body->message)
                                : Result<ResultMessage>(Status::Internal("bad answer"));
  const auto* prepared = m.ok() ? std::get_if<PreparedResult>(&*m) : nullptr;
  if (prepared == nullptr) {
    const Status s = Status::Internal(where + "unexpected answer");
    Fault(*call, s);
    return FailLocked(*call, s);
  }
  if (prepared->id != call->statement->result.id) {
    // The id hashes the query and keyspace, which are the same; a different one means the
    // server now reads the text otherwise, and our bind metadata may be wrong.
    const Status s = Status::Internal(where + "the statement's id changed");
    Fault(*call, s);
    return FailLocked(*call, s);
  }
  call->pinned = conn;
  call->pinned_node = node;
  LaunchLocked(call, false);  // on `conn`: sends (or fails the attempt through its callback)
  return Outcome{};
}

}  // namespace shoal::store::cassandra
