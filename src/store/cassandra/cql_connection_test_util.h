// Helpers for the tests of Connection against a real server or a fake (label cassandra):
// an io_context on a thread, a blocking Connect and Call, and owned copies of the answers.
// Test-only; thread-compatible.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_response.h"
#include "store/cassandra/cql_result.h"

namespace shoal::store::cassandra::conn_test {

using namespace std::chrono_literals;

inline TimePoint Now() { return std::chrono::steady_clock::now(); }

// Io runs an io_context on one thread for a test.
class Io {
 public:
  Io() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Io() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

inline Result<std::shared_ptr<Connection>> ConnectNow(
    boost::asio::io_context& io, ConnectionOptions options,
    std::function<void(const Status&)> on_close = {}) {
  auto p = std::make_shared<std::promise<Result<std::shared_ptr<Connection>>>>();
  auto f = p->get_future();
  Connection::Connect(io, std::move(options), std::move(on_close),
                      [p](Result<std::shared_ptr<Connection>> r) { p->set_value(std::move(r)); });
  return f.get();
}

inline ConnectionOptions Real() {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = testing::CassandraPort();
  return o;
}

// ---- Requests and answers ------------------------------------------------------------

// Response is an owned copy of one answer: its opcode and message (the body past its
// prefixes), so it outlives the callback.
struct Response {
  Opcode opcode = Opcode::kError;
  std::string message;
};

inline Result<Response> Own(const Result<Frame>& r) {
  if (!r.ok()) return r.status();
  Result<ResponseBody> body = SplitResponseBody(*r);
  if (!body.ok()) return body.status();
  return Response{r->header.opcode, std::string(body->message)};
}

using Row = std::vector<std::optional<std::string>>;

// RowsOf returns the rows of a Rows RESULT; a transport failure, a server ERROR or another
// answer is an error naming it.
inline Result<std::vector<Row>> RowsOf(const Result<Response>& r) {
  if (!r.ok()) return r.status();
  if (r->opcode == Opcode::kError) {
    Result<ErrorResponse> e = ParseError(r->message);
    return Status::Internal(e.ok() ? "server ERROR " + std::string(ErrorCodeName(e->code)) + ": " +
                                         std::string(e->message)
                                   : "undecodable ERROR");
  }
  if (r->opcode != Opcode::kResult) {
    return Status::Internal("unexpected " + std::string(OpcodeName(r->opcode)));
  }
  Result<ResultMessage> m = ParseResult(r->message);
  if (!m.ok()) return m.status();
  const auto* rows = std::get_if<RowsResult>(&*m);
  if (rows == nullptr) return Status::Internal("a RESULT that is not Rows");
  std::vector<Row> out;
  CellCursor cells = rows->cells();
  for (int32_t i = 0; i < rows->row_count; ++i) {
    Row row;
    for (int32_t j = 0; j < rows->metadata.column_count; ++j) {
      std::optional<std::string_view> cell = cells.Next();
      row.push_back(cell ? std::optional<std::string>(std::string(*cell)) : std::nullopt);
    }
    out.push_back(std::move(row));
  }
  return out;
}

inline FrameBuilder Query(std::string cql, std::string values = {}, uint16_t count = 0) {
  return
      [cql = std::move(cql), values = std::move(values), count](std::string& out, int16_t stream) {
        QueryParameters p;
        p.values = values;
        p.value_count = count;
        return AppendQuery(out, stream, cql, p);
      };
}

inline FrameBuilder Options() {
  return [](std::string& out, int16_t stream) {
    AppendOptions(out, stream);
    return Status();
  };
}

// Call sends one request and waits for its answer.
inline Result<Response> Call(Connection& c, FrameBuilder build, Duration timeout = 10s) {
  auto p = std::make_shared<std::promise<Result<Response>>>();
  auto f = p->get_future();
  c.Send(std::move(build), Now() + timeout, [p](const Result<Frame>& r) { p->set_value(Own(r)); });
  return f.get();
}

// Exec runs a statement whose answer does not matter unless it is an error.
inline Status Exec(Connection& c, const std::string& cql, Duration timeout = 30s) {
  Result<Response> r = Call(c, Query(cql), timeout);
  if (!r.ok()) return r.status();
  if (r->opcode == Opcode::kResult) return Status();
  Result<ErrorResponse> e = ParseError(r->message);
  return Status::Internal(cql + ": " + (e.ok() ? std::string(e->message) : "bad answer"));
}

}  // namespace shoal::store::cassandra::conn_test
