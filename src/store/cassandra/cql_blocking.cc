// cql_blocking: see cql_blocking.h.
#include "store/cassandra/cql_blocking.h"

#include <chrono>
#include <future>
#include <utility>

#include "store/cassandra/cql_response.h"

namespace shoal::store::cassandra {

Result<std::shared_ptr<Connection>> ConnectAndWait(boost::asio::io_context& io,
                                                   ConnectionOptions options) {
  std::promise<Result<std::shared_ptr<Connection>>> promise;
  auto future = promise.get_future();
  Connection::Connect(
      io, std::move(options), nullptr,
      [&promise](Result<std::shared_ptr<Connection>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<OwnedResponse> SendAndWait(Connection& conn, FrameBuilder build, Duration timeout) {
  std::promise<Result<OwnedResponse>> promise;
  auto future = promise.get_future();
  conn.Send(std::move(build), std::chrono::steady_clock::now() + timeout,
            [&promise, &conn](Result<Frame> r) {
              if (!r.ok()) {
                promise.set_value(r.status());
                return;
              }
              Result<ResponseBody> body = SplitResponseBody(*r);
              if (!body.ok()) {  // the server broke the protocol: not the caller's input
                promise.set_value(Status::Internal("cassandra: " + conn.address() + ": " +
                                                   std::string(body.status().message())));
                return;
              }
              promise.set_value(OwnedResponse{r->header.opcode, std::string(body->message)});
            });
  return future.get();
}

Result<std::string> ResultOrError(Result<OwnedResponse> r, const std::string& address,
                                  ErrorStage stage) {
  if (!r.ok()) return r.status();
  if (r->opcode == Opcode::kResult) return std::move(r->message);
  if (r->opcode == Opcode::kError) {
    Result<ErrorResponse> error = ParseError(r->message);
    if (!error.ok()) return Status::Internal("cassandra: " + address + ": bad ERROR");
    return ErrorStatus(*error, "cassandra: " + address + ": ", stage);
  }
  return Status::Internal("cassandra: " + address + ": unexpected " +
                          std::string(OpcodeName(r->opcode)));
}

}  // namespace shoal::store::cassandra
