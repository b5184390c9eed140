// Tests for cql_error.h: ERROR bodies of every shape, AdviseRetry's rules, and the one mapping
// from an error code to a StatusCode.
#include "store/cassandra/cql_error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

TEST(CqlErrorTest, UnavailableCarriesConsistencyRequiredAlive) {
  const std::string body = Int(0x1000) + S("cannot achieve") + H("0004") + Int(2) + Int(1);
  auto e = ParseError(body);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, error_code::kUnavailable);
  EXPECT_EQ(e->message, "cannot achieve");
  EXPECT_EQ(ConsistencyName(e->consistency), "QUORUM");
  EXPECT_EQ(e->required, 2);
  EXPECT_EQ(e->alive, 1);
  EXPECT_EQ(AdviseRetry(*e, false), RetryAdvice::kNextNode);
}

TEST(CqlErrorTest, ReadTimeoutRetriesOnlyWhenEnoughAnsweredWithoutData) {
  const std::string no_data = Int(0x1200) + S("t") + H("0001") + Int(1) + Int(1) + H("00");
  auto e = ParseError(no_data);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->received, 1);
  EXPECT_EQ(e->block_for, 1);
  EXPECT_FALSE(e->data_present);
  EXPECT_EQ(AdviseRetry(*e, true), RetryAdvice::kSameNode);
  auto too_few = ParseError(Keep(Int(0x1200) + S("t") + H("0004") + Int(1) + Int(2) + H("00")));
  ASSERT_TRUE(too_few.ok());
  EXPECT_EQ(AdviseRetry(*too_few, true), RetryAdvice::kNone);
  auto had_data = ParseError(Keep(Int(0x1200) + S("t") + H("0001") + Int(1) + Int(1) + H("01")));
  ASSERT_TRUE(had_data.ok());
  EXPECT_TRUE(had_data->data_present);
  EXPECT_EQ(AdviseRetry(*had_data, true), RetryAdvice::kNone);
}

TEST(CqlErrorTest, WriteTimeoutRetriesOnlyAnIdempotentBatchLog) {
  auto e = ParseError(Keep(Int(0x1100) + S("t") + H("0004") + Int(1) + Int(2) + S("BATCH_LOG")));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->write_type, "BATCH_LOG");
  EXPECT_EQ(AdviseRetry(*e, true), RetryAdvice::kSameNode);
  EXPECT_EQ(AdviseRetry(*e, false), RetryAdvice::kNone);
  auto simple = ParseError(Keep(Int(0x1100) + S("t") + H("0004") + Int(1) + Int(2) + S("SIMPLE")));
  ASSERT_TRUE(simple.ok());
  EXPECT_EQ(AdviseRetry(*simple, true), RetryAdvice::kNone);
}

TEST(CqlErrorTest, FailuresCarryTheirCounts) {
  auto read =
      ParseError(Keep(Int(0x1300) + S("f") + H("0001") + Int(0) + Int(1) + Int(3) + H("01")));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->num_failures, 3);
  EXPECT_TRUE(read->data_present);
  EXPECT_EQ(AdviseRetry(*read, true), RetryAdvice::kNone);
  auto write =
      ParseError(Keep(Int(0x1500) + S("f") + H("0001") + Int(0) + Int(1) + Int(2) + S("COUNTER")));
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->num_failures, 2);
  EXPECT_EQ(write->write_type, "COUNTER");
  auto function = ParseError(Keep(Int(0x1400) + S("f") + S("ks") + S("fn") + H("0001") + S("int")));
  ASSERT_TRUE(function.ok());
  EXPECT_EQ(function->keyspace, "ks");
  EXPECT_EQ(function->name, "fn");
}

TEST(CqlErrorTest, UnpreparedCarriesTheIdAndAsksForAReprepare) {
  auto e = ParseError(Keep(Int(0x2500) + S("unknown id") + H("0004 deadbeef")));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->unprepared_id, H("deadbeef"));
  EXPECT_EQ(AdviseRetry(*e, false), RetryAdvice::kReprepare);
}

TEST(CqlErrorTest, AlreadyExistsAndPlainErrors) {
  auto e = ParseError(Keep(Int(0x2400) + S("exists") + S("ks") + S("")));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->keyspace, "ks");
  EXPECT_EQ(e->name, "");
  for (const int32_t code : {0x2000, 0x2100, 0x2200, 0x2300, 0x000A, 0x0100, 0x1600}) {
    auto plain = ParseError(Keep(Int(code) + S("msg") + "trailing bytes are ignored"));
    ASSERT_TRUE(plain.ok()) << code;
    EXPECT_EQ(plain->message, "msg");
    EXPECT_EQ(AdviseRetry(*plain, true), RetryAdvice::kNone) << code;
  }
  EXPECT_EQ(ErrorCodeName(0x2200), "Invalid");
  EXPECT_EQ(ErrorCodeName(0x7777), "unknown");
}

TEST(CqlErrorTest, OverloadedAndServerErrorRetryElsewhereOnlyWhenIdempotent) {
  for (const int32_t code : {0x1001, 0x0000, 0x1003}) {
    auto e = ParseError(Keep(Int(code) + S("busy")));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(AdviseRetry(*e, true), RetryAdvice::kNextNode) << code;
    EXPECT_EQ(AdviseRetry(*e, false), RetryAdvice::kNone) << code;
  }
  auto boot = ParseError(Keep(Int(0x1002) + S("joining")));
  ASSERT_TRUE(boot.ok());
  EXPECT_EQ(AdviseRetry(*boot, false), RetryAdvice::kNextNode);
}

TEST(CqlErrorTest, EveryTruncationOfAnErrorWithFieldsIsRefused) {
  const std::string bodies[] = {
      Int(0x1000) + S("m") + H("0004") + Int(2) + Int(1),
      Int(0x1100) + S("m") + H("0004") + Int(1) + Int(2) + S("SIMPLE"),
      Int(0x1200) + S("m") + H("0004") + Int(1) + Int(2) + H("00"),
      Int(0x1300) + S("m") + H("0004") + Int(1) + Int(2) + Int(1) + H("00"),
      Int(0x1400) + S("m") + S("ks") + S("fn") + H("0001") + S("int"),
      Int(0x1500) + S("m") + H("0004") + Int(1) + Int(2) + Int(1) + S("CAS"),
      Int(0x2400) + S("m") + S("ks") + S("t"),
      Int(0x2500) + S("m") + H("0002 abcd"),
  };
  for (const std::string& body : bodies) {
    auto whole = ParseError(body);
    ASSERT_TRUE(whole.ok());
    for (size_t n = 0; n < body.size(); ++n) {
      EXPECT_EQ(ParseError(body.substr(0, n)).status().code(), StatusCode::kInvalidArgument)
          << ErrorCodeName(whole->code) << ", length " << n;
    }
  }
}

TEST(CqlErrorTest, ErrorStatusMapsEveryCodeByCodeAlone) {
  struct Case {
    int32_t code;
    StatusCode request;
    StatusCode setup;
  };
  constexpr StatusCode kInternal = StatusCode::kInternal;
  constexpr StatusCode kInvalid = StatusCode::kInvalidArgument;
  constexpr StatusCode kUnavailable = StatusCode::kUnavailable;
  constexpr StatusCode kDeadline = StatusCode::kDeadlineExceeded;
  const Case cases[] = {
      {error_code::kServerError, kUnavailable, kUnavailable},
      {error_code::kProtocolError, kInternal, kInvalid},
      {error_code::kBadCredentials, kInternal, kInvalid},
      {error_code::kUnavailable, kUnavailable, kUnavailable},
      {error_code::kOverloaded, kUnavailable, kUnavailable},
      {error_code::kIsBootstrapping, kUnavailable, kUnavailable},
      {error_code::kTruncateError, kUnavailable, kUnavailable},
      {error_code::kWriteTimeout, kDeadline, kDeadline},
      {error_code::kReadTimeout, kDeadline, kDeadline},
      {error_code::kReadFailure, kUnavailable, kUnavailable},
      {error_code::kFunctionFailure, kInternal, kInvalid},
      {error_code::kWriteFailure, kUnavailable, kUnavailable},
      {error_code::kCdcWriteFailure, kUnavailable, kUnavailable},
      {error_code::kCasWriteUnknown, kDeadline, kDeadline},
      {error_code::kSyntaxError, kInternal, kInvalid},
      {error_code::kUnauthorized, kInternal, kInvalid},
      {error_code::kInvalid, kInternal, kInvalid},
      {error_code::kConfigError, kInternal, kInvalid},
      {error_code::kAlreadyExists, kInternal, kInvalid},
      {error_code::kUnprepared, kUnavailable, kUnavailable},
      {0x7777, kUnavailable, kUnavailable},
  };
  for (const Case& c : cases) {
    ErrorResponse e;
    e.code = c.code;
    // The text never decides: a message that reads like another error changes nothing.
    e.message = "Syntax error: Unavailable: timed out";
    const Status request = ErrorStatus(e, "cassandra: h:1: ", ErrorStage::kRequest);
    EXPECT_EQ(request.code(), c.request) << ErrorCodeName(c.code);
    EXPECT_NE(request.code(), StatusCode::kInvalidArgument) << ErrorCodeName(c.code);
    EXPECT_EQ(ErrorStatus(e, "", ErrorStage::kSetup).code(), c.setup) << ErrorCodeName(c.code);
  }
}

TEST(CqlErrorTest, ErrorStatusNamesTheNodeTheCodeAndTheServerText) {
  ErrorResponse e;
  e.code = error_code::kInvalid;
  e.message = "unconfigured table t";
  const Status s = ErrorStatus(e, "cassandra: 10.0.0.1:9042: ", ErrorStage::kRequest);
  EXPECT_EQ(s.message(), "cassandra: 10.0.0.1:9042: Invalid: unconfigured table t");
}

}  // namespace
}  // namespace shoal::store::cassandra
