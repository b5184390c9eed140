// cql_connection_handshake: the handshake of a Connection (cql_connection.h), from the first
// byte after TCP (and TLS) to Ready: OPTIONS when compression is wanted, STARTUP,
// AUTHENTICATE/AUTH_RESPONSE, USE. Each step is one of the connection's own requests, sent
// through Enqueue under the connect deadline; any failure ends in Fail, which completes
// Connect with the cause.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "store/cassandra/cql_connection_impl.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_response.h"

namespace shoal::store::cassandra {

Status ConnectionOps::HandshakeError(const Connection& c, std::string_view step,
                                     const Frame& frame) {
  std::string where = "cassandra: " + c.address() + ": " + std::string(step) + ": ";
  if (frame.header.opcode != Opcode::kError) {
    return Status::Unavailable(where + "unexpected " +
                               std::string(OpcodeName(frame.header.opcode)));
  }
  Result<ResponseBody> body = SplitResponseBody(frame);
  Result<ErrorResponse> error =
      body.ok() ? ParseError(body->message) : Result<ErrorResponse>(body.status());
  if (!error.ok()) return Status::Unavailable(where + "bad ERROR frame");
  // The code decides (cql_error.h's ErrorStatus, at the setup stage); two codes get a word of
  // explanation first.
  if (error->code == error_code::kBadCredentials) where += "authentication failed: ";
  if (error->code == error_code::kProtocolError) where += "the server refused protocol v4: ";
  return ErrorStatus(*error, where, ErrorStage::kSetup);
}

void ConnectionOps::Negotiate(const ConnPtr& c) {
  if (!I(c).options.compression) return Startup(c, false);
  Enqueue(
      c,
      [](std::string& out, int16_t stream) {
        AppendOptions(out, stream);
        return Status();
      },
      I(c).connect_deadline, Own(c, [](const ConnPtr& conn, Result<Frame> r) {
        if (!r.ok()) return Fail(conn, r.status());
        if (r->header.opcode != Opcode::kSupported) {
          return Fail(conn, HandshakeError(*conn, "OPTIONS", *r));
        }
        Result<ResponseBody> body = SplitResponseBody(*r);
        Result<std::vector<SupportedOption>> supported =
            body.ok() ? ParseSupported(body->message)
                      : Result<std::vector<SupportedOption>>(body.status());
        if (!supported.ok()) {
          return Fail(conn, Status::Unavailable("cassandra: " + Address(conn) + ": bad SUPPORTED"));
        }
        bool lz4 = false;
        for (const SupportedOption& option : *supported) {
          if (option.key != "COMPRESSION") continue;
          lz4 = std::find(option.values.begin(), option.values.end(), "lz4") != option.values.end();
        }
        Startup(conn, lz4);
      }));
}

void ConnectionOps::Startup(const ConnPtr& c, bool lz4) {
  const TimePoint deadline = I(c).connect_deadline;
  Enqueue(
      c,
      [lz4](std::string& out, int16_t stream) {
        static constexpr StartupOption kPlain[] = {{"DRIVER_NAME", "shoal"}};
        static constexpr StartupOption kLz4[] = {{"DRIVER_NAME", "shoal"}, {"COMPRESSION", "lz4"}};
        return lz4 ? AppendStartup(out, stream, kLz4) : AppendStartup(out, stream, kPlain);
      },
      deadline, Own(c, [lz4](const ConnPtr& conn, Result<Frame> r) {
        if (!r.ok()) return Fail(conn, r.status());
        // The server compresses from its answer to STARTUP on (§5); so may we.
        const bool taken =
            r->header.opcode == Opcode::kReady || r->header.opcode == Opcode::kAuthenticate;
        if (taken && lz4) {
          I(conn).compress_out = true;
          conn->compression_.store(true, std::memory_order_relaxed);
        }
        if (r->header.opcode == Opcode::kReady) return UseKeyspace(conn);
        if (r->header.opcode == Opcode::kAuthenticate) {
          Result<ResponseBody> body = SplitResponseBody(*r);
          Result<std::string_view> authenticator = body.ok()
                                                       ? ParseAuthenticate(body->message)
                                                       : Result<std::string_view>(body.status());
          if (!authenticator.ok()) {
            return Fail(conn,
                        Status::Unavailable("cassandra: " + Address(conn) + ": bad AUTHENTICATE"));
          }
          return Authenticate(conn, *authenticator);
        }
        Fail(conn, HandshakeError(*conn, "STARTUP", *r));
      }));
}

void ConnectionOps::Authenticate(const ConnPtr& c, std::string_view authenticator) {
  Connection::Impl& s = I(c);
  if (s.options.user.empty()) {
    Fail(c, Status::InvalidArgument("cassandra: " + Address(c) + " asks for credentials (" +
                                    std::string(authenticator) +
                                    "): set store.cassandra.user and password"));
    return;
  }
  const auto& allowed = s.options.allowed_authenticators;
  if (std::find(allowed.begin(), allowed.end(), authenticator) == allowed.end()) {
    // A class we do not know may keep or forward what it gets: the credentials stay here.
    Fail(c, Status::InvalidArgument(
                "cassandra: " + Address(c) + " asks for credentials for the authenticator " +
                std::string(authenticator) +
                ", which store.cassandra.authenticators does not allow; no credentials were sent"));
    return;
  }
  Enqueue(
      c,
      [c](std::string& out, int16_t stream) {
        return AppendPasswordAuthResponse(out, stream, I(c).options.user, I(c).options.password);
      },
      s.connect_deadline, Own(c, [](const ConnPtr& conn, Result<Frame> r) {
        if (!r.ok()) return Fail(conn, r.status());
        if (r->header.opcode == Opcode::kAuthSuccess) return UseKeyspace(conn);
        if (r->header.opcode == Opcode::kAuthChallenge) {
          // PasswordAuthenticator answers one response; a challenge means another SASL
          // mechanism, which shoal does not speak.
          return Fail(conn, Status::InvalidArgument("cassandra: " + Address(conn) +
                                                    ": the authenticator asked for a second round "
                                                    "(only PasswordAuthenticator is supported)"));
        }
        Fail(conn, HandshakeError(*conn, "authentication", *r));
      }));
}

void ConnectionOps::UseKeyspace(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  if (s.options.keyspace.empty()) return Ready(c);
  Enqueue(
      c,
      [c](std::string& out, int16_t stream) {
        const std::string use = "USE \"" + I(c).options.keyspace + "\"";
        return AppendQuery(out, stream, use, QueryParameters{});
      },
      s.connect_deadline, Own(c, [](const ConnPtr& conn, Result<Frame> r) {
        if (!r.ok()) return Fail(conn, r.status());
        if (r->header.opcode == Opcode::kResult) return Ready(conn);
        Fail(conn, HandshakeError(*conn, "USE " + I(conn).options.keyspace, *r));
      }));
}

}  // namespace shoal::store::cassandra
