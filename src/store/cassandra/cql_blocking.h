// cql_blocking: one request on one connection, waited for. Internal to store/cassandra: the
// session's setup work (Open's control connection and discovery, Prepare, Run) uses it, never
// a request path.
//
// Each function blocks the calling thread until the connection's strand answers, so it must
// not be called from a session I/O thread (the answer could never run). Thread-safety: the
// functions may be called from any other thread at once.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_error.h"

namespace shoal::store::cassandra {

// OwnedResponse is a response's opcode and message (the body without its prefixes), copied
// out of the connection's buffer.
struct OwnedResponse {
  Opcode opcode = Opcode::kError;
  std::string message;
};

// ConnectAndWait dials one connection on `io` and waits for its handshake.
Result<std::shared_ptr<Connection>> ConnectAndWait(boost::asio::io_context& io,
                                                   ConnectionOptions options);

// SendAndWait sends one request and waits for its response (or the connection's error).
Result<OwnedResponse> SendAndWait(Connection& conn, FrameBuilder build, Duration timeout);

// ResultOrError returns a RESULT's message, or the server's ERROR as cql_error.h's
// ErrorStatus gives it at `stage`; any other answer is Internal (a protocol violation).
Result<std::string> ResultOrError(Result<OwnedResponse> r, const std::string& address,
                                  ErrorStage stage);

}  // namespace shoal::store::cassandra
