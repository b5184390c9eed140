// cql_error: the ERROR response (§9 of native_protocol_v4.spec): its codes, its code-specific
// fields, what a careful driver does about each (AdviseRetry), and the one mapping from a code
// to the Status the client reports (ErrorStatus).
//
// Ownership: an ErrorResponse views the body it was parsed from. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace shoal::store::cassandra {

// error_code: the codes of ERROR (§9), plus the two Cassandra 4.0 added (CDC, CAS).
namespace error_code {
inline constexpr int32_t kServerError = 0x0000;
inline constexpr int32_t kProtocolError = 0x000A;
inline constexpr int32_t kBadCredentials = 0x0100;
inline constexpr int32_t kUnavailable = 0x1000;
inline constexpr int32_t kOverloaded = 0x1001;
inline constexpr int32_t kIsBootstrapping = 0x1002;
inline constexpr int32_t kTruncateError = 0x1003;
inline constexpr int32_t kWriteTimeout = 0x1100;
inline constexpr int32_t kReadTimeout = 0x1200;
inline constexpr int32_t kReadFailure = 0x1300;
inline constexpr int32_t kFunctionFailure = 0x1400;
inline constexpr int32_t kWriteFailure = 0x1500;
inline constexpr int32_t kCdcWriteFailure = 0x1600;
inline constexpr int32_t kCasWriteUnknown = 0x1700;
inline constexpr int32_t kSyntaxError = 0x2000;
inline constexpr int32_t kUnauthorized = 0x2100;
inline constexpr int32_t kInvalid = 0x2200;
inline constexpr int32_t kConfigError = 0x2300;
inline constexpr int32_t kAlreadyExists = 0x2400;
inline constexpr int32_t kUnprepared = 0x2500;
}  // namespace error_code

// ErrorCodeName returns "Unavailable", "Syntax_error", ..., or "unknown" for other codes.
std::string_view ErrorCodeName(int32_t code);

// ErrorResponse is a parsed ERROR. Only the fields of the code's extra body are set; the
// rest keep their zero values.
struct ErrorResponse {
  int32_t code = 0;
  std::string_view message;
  // Unavailable, Read/Write_timeout, Read/Write_failure:
  uint16_t consistency = 0;
  int32_t required = 0;  // Unavailable: replicas needed
  int32_t alive = 0;     // Unavailable: replicas known alive
  int32_t received = 0;  // timeouts, failures: replicas that answered
  int32_t block_for = 0;
  int32_t num_failures = 0;        // failures
  bool data_present = false;       // Read_timeout, Read_failure
  std::string_view write_type;     // Write_timeout, Write_failure: "SIMPLE", "BATCH_LOG", ...
  std::string_view keyspace;       // Already_exists, Function_failure
  std::string_view name;           // Already_exists: table ("" for a keyspace); function
  std::string_view unprepared_id;  // Unprepared: the id the node does not know
};

Result<ErrorResponse> ParseError(std::string_view message);

// RetryAdvice says what a client should do about an ERROR.
enum class RetryAdvice {
  kNone,       // final: report it (syntax, invalid, unauthorized, failures, ...)
  kReprepare,  // Unprepared: PREPARE again on that node, then resend the EXECUTE
  kSameNode,   // the coordinator may succeed if asked again (a timeout that had quorum)
  kNextNode,   // this coordinator cannot serve it now; another may (bootstrapping, ...)
};

// AdviseRetry follows the drivers' default policies (cql-driver-features.md, row 3):
// Unprepared re-prepares; Is_bootstrapping and Unavailable try another node; Overloaded,
// Server_error and Truncate_error try another node only when `idempotent`; Read_timeout
// retries on the same node when enough replicas answered but the data replica did not;
// Write_timeout only for an idempotent BATCH_LOG write. The caller bounds the attempts
// (the drivers allow one).
RetryAdvice AdviseRetry(const ErrorResponse& error, bool idempotent);

// ErrorStage says what the client was doing when the ERROR came.
enum class ErrorStage {
  // Opening a connection (STARTUP, credentials, USE keyspace) or preparing a statement: the
  // input is the operator's configuration, which is checked at start-up.
  kSetup,
  // Serving a request: the input was checked at setup, so the operator (not the caller) must
  // fix what the server refuses.
  kRequest,
};

// ErrorStatus is the one mapping from an ERROR to the Status the client reports, by code
// alone (never by the server's text):
//   kDeadlineExceeded  Read_timeout, Write_timeout, CAS_write_unknown: the replicas did not
//                      answer the coordinator in time
//   kUnavailable       Unavailable, Overloaded, Is_bootstrapping, Server_error,
//                      Truncate_error, Read_failure, Write_failure, CDC_write_failure,
//                      Unprepared (still, after a re-prepare), and codes this client does not
//                      know: the data may be there; the cluster cannot serve it now
//   kInternal          Syntax_error, Invalid, Unauthorized, Config_error, Already_exists,
//                      Function_failure, Bad_credentials, Protocol_error (the server says we
//                      spoke wrongly: our bug): the operator must fix the query, the schema
//                      or the grants; asking again will not help
// At kSetup the kInternal codes are kInvalidArgument instead: the configuration is the input
// being checked (as SQLite's Prepare reports a query that does not compile), and Open stops
// at a refused login rather than trying every node. kInvalidArgument never comes from a
// request. The message is `where` (e.g. "cassandra: HOST:PORT: "), the code's name and the
// server's text: for logs and the operator; the api does not show it to HTTP clients.
Status ErrorStatus(const ErrorResponse& error, std::string_view where, ErrorStage stage);

}  // namespace shoal::store::cassandra
