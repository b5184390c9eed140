// cql_executor: see cql_executor.h.
#include "store/cassandra/cql_executor.h"

#include <chrono>
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

}  // namespace

Executor::Executor(asio::io_context& io, Pool& pool, Logger* logger,
                   std::shared_ptr<LogLimiter> faults)
    : io_(io), pool_(pool), log_(logger, "cassandra"), faults_(std::move(faults)) {}

bool Executor::Start(std::shared_ptr<Call>& call) {
  // Count first, then look (both sequentially consistent, as in Stop then WaitIdle): either
  // the shutdown waits for this call, or the call sees the shutdown.
  calls_in_flight_.fetch_add(1);
  if (stopping_.load()) {
    calls_in_flight_.fetch_sub(1);
    return false;
  }
  Attempt(std::move(call));
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

void Executor::Attempt(std::shared_ptr<Call> call) {
  std::shared_ptr<Connection> conn = std::move(call->pinned);
  call->pinned = nullptr;
  while (!conn && call->next < call->plan.size()) {
    conn = call->view->nodes[call->plan[call->next]]->Pick();
    if (!conn) ++call->next;
  }
  if (!conn) {
    FinishLater(std::move(call), Status::Unavailable("cassandra: no node is reachable (" +
                                                     pool_.LastErrors() + ")"));
    return;
  }
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
      [this, call, conn](Result<Frame> r) mutable {
        OnResponse(std::move(call), conn, std::move(r));
      });
}

void Executor::OnResponse(std::shared_ptr<Call> call, const std::shared_ptr<Connection>& conn,
                          Result<Frame> r) {
  if (!r.ok()) {
    // A connection that broke under the request (not a deadline: that time is spent).
    if (r.status().code() == StatusCode::kUnavailable && call->options.idempotent &&
        call->retries_left > 0 && !stopping_.load(std::memory_order_acquire)) {
      --call->retries_left;
      retries_.fetch_add(1, std::memory_order_relaxed);
      ++call->next;
      Attempt(std::move(call));
      return;
    }
    Finish(call, r.status());
    return;
  }
  const std::string where = "cassandra: " + conn->address() + ": ";
  Result<ResponseBody> body = SplitResponseBody(*r);
  if (!body.ok()) {
    const Status s = Status::Internal(where + std::string(body.status().message()));
    Fault(*call, s);
    Finish(call, s);
    return;
  }
  if (r->header.opcode == Opcode::kResult) {
    Result<ResultMessage> m = ParseResult(body->message);
    if (!m.ok()) {
      const Status s = Status::Internal(where + "bad RESULT: " + std::string(m.status().message()));
      Fault(*call, s);
      Finish(call, s);
      return;
    }
    Finish(call, std::move(m));
    return;
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
    Finish(call, s);
    return;
  }
  switch (AdviseRetry(*error, call->options.idempotent)) {
    case RetryAdvice::kReprepare:
      if (!call->reprepared) {
        call->reprepared = true;
        reprepares_.fetch_add(1, std::memory_order_relaxed);
        reprepare_log_.Write(log_, LogLevel::kInfo,
                             "preparing again on " + conn->address() +
                                 " (the node answered Unprepared): " + QueryForLog(*call));
        Reprepare(std::move(call), conn);
        return;
      }
      break;
    case RetryAdvice::kSameNode:
      if (call->retries_left > 0) {
        --call->retries_left;
        retries_.fetch_add(1, std::memory_order_relaxed);
        call->pinned = conn;
        Attempt(std::move(call));
        return;
      }
      break;
    case RetryAdvice::kNextNode:
      if (call->retries_left > 0 && call->next + 1 < call->plan.size()) {
        --call->retries_left;
        retries_.fetch_add(1, std::memory_order_relaxed);
        ++call->next;
        Attempt(std::move(call));
        return;
      }
      break;
    case RetryAdvice::kNone:
      break;
  }
  const Status s = ErrorStatus(*error, where, ErrorStage::kRequest);
  if (s.code() == StatusCode::kInternal) Fault(*call, s);
  Finish(call, s);
}

void Executor::Reprepare(std::shared_ptr<Call> call, std::shared_ptr<Connection> conn) {
  Call* raw = call.get();
  conn->Send([raw](std::string& out,
                   int16_t stream) { return AppendPrepare(out, stream, raw->statement->query); },
             call->deadline,
             [this, call, conn](Result<Frame> r) mutable {
               if (!r.ok()) {
                 Finish(call, r.status());
                 return;
               }
               const std::string where = "cassandra: " + conn->address() + ": preparing again: ";
               Result<ResponseBody> body = SplitResponseBody(*r);
               if (body.ok() && r->header.opcode == Opcode::kError) {
                 if (Result<ErrorResponse> e = ParseError(body->message); e.ok()) {
                   // A statement that no longer prepares (its table is gone: Invalid) is Internal,
                   // the operator's to fix; an overloaded node stays Unavailable.
                   const Status s = ErrorStatus(*e, where, ErrorStage::kRequest);
                   if (s.code() == StatusCode::kInternal) Fault(*call, s);
                   Finish(call, s);
                   return;
                 }
               }
               Result<ResultMessage> m =
                   body.ok() && r->header.opcode == Opcode::kResult
                       ? ParseResult(body->message)
                       : Result<ResultMessage>(Status::Internal("bad answer"));
               const auto* prepared = m.ok() ? std::get_if<PreparedResult>(&*m) : nullptr;
               if (prepared == nullptr) {
                 const Status s = Status::Internal(where + "unexpected answer");
                 Fault(*call, s);
                 Finish(call, s);
                 return;
               }
               if (prepared->id != call->statement->result.id) {
                 // The id hashes the query and keyspace, which are the same; a different one means
                 // the server now reads the text otherwise, and our bind metadata may be wrong.
                 const Status s = Status::Internal(where + "the statement's id changed");
                 Fault(*call, s);
                 Finish(call, s);
                 return;
               }
               call->pinned = std::move(conn);
               Attempt(std::move(call));
             });
}

}  // namespace shoal::store::cassandra
