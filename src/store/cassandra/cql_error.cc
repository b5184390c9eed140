// cql_error: see cql_error.h.
#include "store/cassandra/cql_error.h"

#include <string>
#include <vector>

#include "base/name_table.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

std::string_view ErrorCodeName(int32_t code) {
  namespace ec = error_code;
  static constexpr Named<int32_t> kNames[] = {{ec::kServerError, "Server_error"},
                                              {ec::kProtocolError, "Protocol_error"},
                                              {ec::kBadCredentials, "Bad_credentials"},
                                              {ec::kUnavailable, "Unavailable"},
                                              {ec::kOverloaded, "Overloaded"},
                                              {ec::kIsBootstrapping, "Is_bootstrapping"},
                                              {ec::kTruncateError, "Truncate_error"},
                                              {ec::kWriteTimeout, "Write_timeout"},
                                              {ec::kReadTimeout, "Read_timeout"},
                                              {ec::kReadFailure, "Read_failure"},
                                              {ec::kFunctionFailure, "Function_failure"},
                                              {ec::kWriteFailure, "Write_failure"},
                                              {ec::kCdcWriteFailure, "CDC_write_failure"},
                                              {ec::kCasWriteUnknown, "CAS_write_unknown"},
                                              {ec::kSyntaxError, "Syntax_error"},
                                              {ec::kUnauthorized, "Unauthorized"},
                                              {ec::kInvalid, "Invalid"},
                                              {ec::kConfigError, "Config_error"},
                                              {ec::kAlreadyExists, "Already_exists"},
                                              {ec::kUnprepared, "Unprepared"}};
  return NameOf(kNames, code, "unknown");
}

Result<ErrorResponse> ParseError(std::string_view message) {
  WireReader in(message);
  ErrorResponse e;
  if (!in.Int(&e.code) || !in.String(&e.message)) return TruncatedError("ERROR");
  // Built only on failure: parsing an ERROR allocates nothing.
  const auto truncated = [&e] {
    return TruncatedError("ERROR " + std::string(ErrorCodeName(e.code)) + " fields");
  };
  // <cl><received><blockfor>, shared by the timeouts and failures.
  const auto replicas = [&] {
    return in.Short(&e.consistency) && in.Int(&e.received) && in.Int(&e.block_for);
  };
  uint8_t byte = 0;
  switch (e.code) {
    case error_code::kUnavailable:
      if (!in.Short(&e.consistency) || !in.Int(&e.required) || !in.Int(&e.alive)) {
        return truncated();
      }
      break;
    case error_code::kWriteTimeout:
      if (!replicas() || !in.String(&e.write_type)) return truncated();
      break;
    case error_code::kReadTimeout:
      if (!replicas() || !in.Byte(&byte)) return truncated();
      e.data_present = byte != 0;
      break;
    case error_code::kReadFailure:
      if (!replicas() || !in.Int(&e.num_failures) || !in.Byte(&byte)) return truncated();
      e.data_present = byte != 0;
      break;
    case error_code::kWriteFailure:
      if (!replicas() || !in.Int(&e.num_failures) || !in.String(&e.write_type)) {
        return truncated();
      }
      break;
    case error_code::kFunctionFailure: {
      std::vector<std::string_view> arg_types;
      if (!in.String(&e.keyspace) || !in.String(&e.name) || !in.StringList(&arg_types)) {
        return truncated();
      }
      break;
    }
    case error_code::kAlreadyExists:
      if (!in.String(&e.keyspace) || !in.String(&e.name)) return truncated();
      break;
    case error_code::kUnprepared:
      if (!in.ShortBytes(&e.unprepared_id)) return truncated();
      break;
    default:
      break;  // no fields after the message (§9), or a code this client does not know
  }
  return e;
}

RetryAdvice AdviseRetry(const ErrorResponse& error, bool idempotent) {
  switch (error.code) {
    case error_code::kUnprepared:
      return RetryAdvice::kReprepare;
    case error_code::kIsBootstrapping:
    case error_code::kUnavailable:
      // Nothing ran: the coordinator refused before touching a replica.
      return RetryAdvice::kNextNode;
    case error_code::kOverloaded:
    case error_code::kServerError:
    case error_code::kTruncateError:
      return idempotent ? RetryAdvice::kNextNode : RetryAdvice::kNone;
    case error_code::kReadTimeout:
      // Enough replicas answered but the one asked for the data did not: asking again
      // usually finds it (the drivers' default read rule).
      return error.received >= error.block_for && !error.data_present ? RetryAdvice::kSameNode
                                                                      : RetryAdvice::kNone;
    case error_code::kWriteTimeout:
      return idempotent && error.write_type == "BATCH_LOG" ? RetryAdvice::kSameNode
                                                           : RetryAdvice::kNone;
    default:
      return RetryAdvice::kNone;
  }
}

Status ErrorStatus(const ErrorResponse& error, std::string_view where, ErrorStage stage) {
  std::string message = std::string(where) + std::string(ErrorCodeName(error.code)) + ": " +
                        std::string(error.message);
  switch (error.code) {
    case error_code::kReadTimeout:
    case error_code::kWriteTimeout:
    case error_code::kCasWriteUnknown:
      return Status::DeadlineExceeded(std::move(message));
    case error_code::kSyntaxError:
    case error_code::kInvalid:
    case error_code::kUnauthorized:
    case error_code::kConfigError:
    case error_code::kAlreadyExists:
    case error_code::kFunctionFailure:
    case error_code::kBadCredentials:
    case error_code::kProtocolError:
      return stage == ErrorStage::kSetup ? Status::InvalidArgument(std::move(message))
                                         : Status::Internal(std::move(message));
    default:
      return Status::Unavailable(std::move(message));
  }
}

}  // namespace shoal::store::cassandra
