// Tests for cql_frame.h: request bytes against hand-assembled encodings from
// native_protocol_v4.spec, the FrameDecoder's refusals and chunking, and the response parsers
// on whole, truncated and lying bodies.
#include "store/cassandra/cql_frame.h"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

// H turns "04 00 00 01" (spaces ignored) into bytes, so expected frames read like the spec.
std::string H(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (const char c : hex) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

// S is a [string]; T a native type [option].
std::string S(std::string_view s) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out.append(s);
  return out;
}

std::string T(TypeId id) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(id));
  return out;
}

std::string Int(int32_t v) {
  std::string out;
  AppendInt(out, v);
  return out;
}

std::string Cell(std::string_view bytes) {
  std::string out;
  AppendValue(out, bytes);
  return out;
}

// Keep holds a body for the rest of the test program: parsed messages view the body they
// came from, so it must outlive them (a temporary would dangle).
std::string_view Keep(std::string body) {
  static std::deque<std::string> kept;
  return kept.emplace_back(std::move(body));
}

// Response wraps a body in a response frame header.
std::string Response(Opcode op, std::string_view body, int16_t stream = 0, uint8_t flags = 0) {
  std::string out;
  FrameHeader h;
  h.response = true;
  h.flags = flags;
  h.stream = stream;
  h.opcode = op;
  h.length = static_cast<uint32_t>(body.size());
  AppendFrameHeader(out, h);
  out.append(body);
  return out;
}

// ---------------------------------------------------------------------------------------
// Requests, byte for byte.

TEST(CqlRequestTest, StartupCarriesCqlVersionAsAStringMap) {
  std::string out;
  ASSERT_TRUE(AppendStartup(out, 1).ok());
  // 0x04 request v4, no flags, stream 1, STARTUP, body 22 bytes: one pair.
  EXPECT_EQ(out, H("04 00 0001 01 00000016") + H("0001") + H("000b") + "CQL_VERSION" + H("0005") +
                     "3.0.0");
}

TEST(CqlRequestTest, StartupAppendsExtraOptions) {
  std::string out = "prefix";
  const StartupOption extra[] = {{"THROW_ON_OVERLOAD", "1"}};
  ASSERT_TRUE(AppendStartup(out, 0, extra).ok());
  EXPECT_EQ(out, "prefix" + H("04 00 0000 01 0000002c 0002") + S("CQL_VERSION") + S("3.0.0") +
                     S("THROW_ON_OVERLOAD") + S("1"));
}

TEST(CqlRequestTest, OptionsHasAnEmptyBody) {
  std::string out;
  AppendOptions(out, 0x1234);
  EXPECT_EQ(out, H("04 00 1234 05 00000000"));
}

TEST(CqlRequestTest, PrepareIsALongString) {
  std::string out;
  ASSERT_TRUE(AppendPrepare(out, 2, "SELECT 1").ok());
  EXPECT_EQ(out, H("04 00 0002 09 0000000c 00000008") + "SELECT 1");
}

TEST(CqlRequestTest, QueryWithoutParametersHasFlagsZero) {
  std::string out;
  ASSERT_TRUE(AppendQuery(out, 3, "Q", QueryParameters()).ok());
  // [long string] "Q", consistency ONE, flags 0.
  EXPECT_EQ(out, H("04 00 0003 07 00000008 00000001 51 0001 00"));
}

TEST(CqlRequestTest, QueryWithEveryParameterInSpecOrder) {
  std::string values;
  AppendValue(values, H("0000002a"));  // int 42
  AppendNullValue(values);
  QueryParameters p;
  p.consistency = Consistency::kLocalQuorum;
  p.values = values;
  p.value_count = 2;
  p.page_size = 5000;
  p.paging_state = "ps";
  p.serial_consistency = Consistency::kLocalSerial;
  p.default_timestamp = 1;
  std::string out;
  ASSERT_TRUE(AppendQuery(out, 7, "Q", p).ok());
  // flags = values 0x01 | page size 0x04 | paging state 0x08 | serial 0x10 | timestamp 0x20.
  const std::string body = H("00000001 51") + H("0006") + H("3d") +
                           H("0002 00000004 0000002a ffffffff") + H("00001388") +
                           H("00000002 7073") + H("0009") + H("0000000000000001");
  EXPECT_EQ(body.size(), 42u);
  EXPECT_EQ(out, H("04 00 0007 07 0000002a") + body);
}

TEST(CqlRequestTest, ExecuteCarriesTheIdAsShortBytes) {
  QueryParameters p;
  p.consistency = Consistency::kQuorum;
  p.skip_metadata = true;
  p.page_size = 100;
  std::string out;
  ASSERT_TRUE(AppendExecute(out, 9, H("abcd"), p).ok());
  // id, QUORUM, flags skip metadata 0x02 | page size 0x04, page size 100.
  EXPECT_EQ(out, H("04 00 0009 0a 0000000b 0002 abcd 0004 06 00000064"));
}

TEST(CqlRequestTest, ExecuteWithUnsetValue) {
  std::string values;
  AppendUnsetValue(values);
  QueryParameters p;
  p.values = values;
  p.value_count = 1;
  std::string out;
  ASSERT_TRUE(AppendExecute(out, 0, "", p).ok());
  EXPECT_EQ(out, H("04 00 0000 0a 0000000b 0000 0001 01 0001 fffffffe"));
}

TEST(CqlRequestTest, PasswordTokenIsNulUserNulPassword) {
  std::string out;
  ASSERT_TRUE(AppendPasswordAuthResponse(out, 0, "cassandra", "secret").ok());
  EXPECT_EQ(out, H("04 00 0000 0f 00000015 00000011") + "\0cassandra\0secret"s);
}

TEST(CqlRequestTest, AuthResponseMayBeNull) {
  std::string out;
  ASSERT_TRUE(AppendAuthResponse(out, 0, std::nullopt).ok());
  EXPECT_EQ(out, H("04 00 0000 0f 00000004 ffffffff"));
}

TEST(CqlRequestTest, NulInCredentialsIsRefusedAndNothingIsAppended) {
  std::string out = "keep";
  EXPECT_EQ(AppendPasswordAuthResponse(out, 0, "us\0er"s, "pw").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AppendPasswordAuthResponse(out, 0, "user", "p\0w"s).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(CqlRequestTest, MiscountedValuesAreRefusedAndNothingIsAppended) {
  std::string values;
  AppendValue(values, "x");
  QueryParameters p;
  p.values = values;
  p.value_count = 2;
  std::string out = "keep";
  EXPECT_EQ(AppendQuery(out, 0, "Q", p).code(), StatusCode::kInvalidArgument);
  p.value_count = 0;
  EXPECT_EQ(AppendQuery(out, 0, "Q", p).code(), StatusCode::kInvalidArgument);
  p.value_count = 1;
  const std::string minus_three = H("fffffffd");  // -3 is no [value]
  p.values = minus_three;
  EXPECT_EQ(AppendExecute(out, 0, "id", p).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(CqlRequestTest, BadSerialConsistencyAndNegativeTimestampAreRefused) {
  std::string out;
  QueryParameters p;
  p.serial_consistency = Consistency::kQuorum;
  EXPECT_FALSE(AppendQuery(out, 0, "Q", p).ok());
  p.serial_consistency = std::nullopt;
  p.default_timestamp = -1;
  EXPECT_FALSE(AppendQuery(out, 0, "Q", p).ok());
  EXPECT_TRUE(out.empty());
}

TEST(CqlRequestTest, TooLongFieldsAreRefused) {
  std::string out;
  const std::string long_key(70000, 'k');
  const StartupOption extra[] = {{long_key, "v"}};
  EXPECT_FALSE(AppendStartup(out, 0, extra).ok());
  EXPECT_FALSE(AppendExecute(out, 0, std::string(70000, 'i'), QueryParameters()).ok());
  EXPECT_TRUE(out.empty());
}

// A fake server's decoder reads what the builders wrote: headers and bodies line up.
TEST(CqlRequestTest, RequestsRoundTripThroughARequestDecoder) {
  std::string wire;
  ASSERT_TRUE(AppendStartup(wire, 0).ok());
  AppendOptions(wire, 1);
  ASSERT_TRUE(AppendPrepare(wire, 2, "SELECT v FROM t WHERE k = ?").ok());
  std::string values;
  AppendValue(values, "k1");
  QueryParameters p;
  p.values = values;
  p.value_count = 1;
  ASSERT_TRUE(AppendExecute(wire, 32767, "id", p).ok());

  FrameDecoder::Options o;
  o.expect_responses = false;
  FrameDecoder d(o);
  d.Feed(wire);
  const Opcode want[] = {Opcode::kStartup, Opcode::kOptions, Opcode::kPrepare, Opcode::kExecute};
  const int16_t streams[] = {0, 1, 2, 32767};
  for (int i = 0; i < 4; ++i) {
    auto f = d.Next();
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f->has_value());
    EXPECT_EQ((*f)->header.opcode, want[i]);
    EXPECT_EQ((*f)->header.stream, streams[i]);
    EXPECT_FALSE((*f)->header.response);
    if (want[i] == Opcode::kPrepare) {
      WireReader r((*f)->body);
      std::string_view q;
      ASSERT_TRUE(r.LongString(&q));
      EXPECT_EQ(q, "SELECT v FROM t WHERE k = ?");
    }
  }
  auto end = d.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(d.buffered(), 0u);
}

// ---------------------------------------------------------------------------------------
// FrameDecoder.

std::string RowsBody();  // below: a RESULT Rows body used by several tests

TEST(CqlFrameDecoderTest, AResponseFedByteByByteComesOutWhole) {
  const std::string body = RowsBody();
  const std::string wire = Response(Opcode::kResult, body, 5) + Response(Opcode::kReady, "", 6);
  FrameDecoder d;
  std::vector<Frame> frames;
  std::vector<std::string> bodies;  // copies: a frame views the buffer only until the next Feed
  for (size_t i = 0; i < wire.size(); ++i) {
    d.Feed(wire.substr(i, 1));
    for (;;) {
      auto f = d.Next();
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      if (!f->has_value()) break;
      // Only the byte that completes a frame may yield it.
      EXPECT_TRUE(i == kFrameHeaderSize + body.size() - 1 || i == wire.size() - 1) << i;
      frames.push_back(**f);
      bodies.emplace_back((*f)->body);
    }
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header.opcode, Opcode::kResult);
  EXPECT_EQ(frames[0].header.stream, 5);
  EXPECT_TRUE(frames[0].header.response);
  EXPECT_EQ(bodies[0], body);
  EXPECT_EQ(frames[1].header.opcode, Opcode::kReady);
  EXPECT_EQ(bodies[1], "");
  auto rows = ParseResult(bodies[0]);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(std::get<RowsResult>(*rows).row_count, 2);
}

TEST(CqlFrameDecoderTest, SocketPathPreparesRoomForTheWholeFrame) {
  const std::string body(200000, 'x');
  const std::string wire = Response(Opcode::kAuthChallenge, Int(200000) + body);
  FrameDecoder d;
  std::span<char> space = d.Prepare(kFrameHeaderSize);
  std::copy_n(wire.data(), kFrameHeaderSize, space.data());
  d.Commit(kFrameHeaderSize);
  space = d.Prepare(1);
  // The header says how much is coming: one Prepare fits the rest.
  EXPECT_GE(space.size(), wire.size() - kFrameHeaderSize);
  std::copy(wire.begin() + kFrameHeaderSize, wire.end(), space.data());
  d.Commit(wire.size() - kFrameHeaderSize);
  auto f = d.Next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  auto token = ParseAuthToken((*f)->body);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->value().size(), 200000u);
}

TEST(CqlFrameDecoderTest, ABigBufferIsReleasedOnceEmpty) {
  const std::string wire = Response(Opcode::kResult, Int(1) + std::string(2 << 20, 'x'));
  FrameDecoder d;
  d.Feed(wire);
  ASSERT_TRUE(d.Next().ok());
  EXPECT_GE(d.capacity(), wire.size());
  d.Prepare();
  EXPECT_EQ(d.capacity(), FrameDecoder::kInitialBuffer);
}

// Refused feeds `bytes` and returns the decoder's error (empty if none).
std::string Refused(std::string_view bytes, FrameDecoder::Options o = {}) {
  FrameDecoder d(o);
  d.Feed(bytes);
  auto f = d.Next();
  if (f.ok()) return "";
  // The error sticks.
  auto again = d.Next();
  EXPECT_FALSE(again.ok());
  return std::string(f.status().message());
}

TEST(CqlFrameDecoderTest, ARequestFrameIsRefusedWhereAResponseIsExpected) {
  // The direction bit alone decides, as soon as the first byte is in.
  EXPECT_NE(Refused(H("04")).find("request frame"), std::string::npos);
}

TEST(CqlFrameDecoderTest, AnotherProtocolVersionIsRefused) {
  EXPECT_NE(Refused(H("83 00 0000 00")).find("protocol version 3"), std::string::npos);
  EXPECT_NE(Refused(H("85")).find("protocol version 5"), std::string::npos);
  FrameDecoder::Options v3;
  v3.version = 3;
  EXPECT_EQ(Refused(H("83 00 0000 02 00000000"), v3), "");
}

TEST(CqlFrameDecoderTest, UnknownOpcodesAreRefused) {
  EXPECT_NE(Refused(H("84 00 0000 04")).find("unknown opcode 0x04"), std::string::npos);
  EXPECT_NE(Refused(H("84 00 0000 11")).find("unknown opcode 0x11"), std::string::npos);
  EXPECT_NE(Refused(H("84 00 0000 ff")).find("unknown opcode"), std::string::npos);
}

TEST(CqlFrameDecoderTest, ARequestOpcodeInAResponseIsRefused) {
  EXPECT_NE(Refused(H("84 00 0000 01")).find("STARTUP is a request"), std::string::npos);
  EXPECT_NE(Refused(H("84 00 0000 07")).find("QUERY is a request"), std::string::npos);
}

TEST(CqlFrameDecoderTest, ALengthOverTheLimitIsRefusedBeforeTheBodyArrives) {
  FrameDecoder::Options o;
  o.max_body = 1000;
  EXPECT_EQ(Refused(H("84 00 0000 08 000003e8"), o), "");  // exactly the limit: waits
  EXPECT_NE(Refused(H("84 00 0000 08 000003e9"), o).find("exceeds the limit of 1000"),
            std::string::npos);
  EXPECT_NE(Refused(H("84 00 0000 08 80000000")).find("negative"), std::string::npos);
  // The default is the spec's 256 MiB.
  EXPECT_NE(Refused(H("84 00 0000 08 10000001")).find("exceeds"), std::string::npos);
}

TEST(CqlFrameDecoderTest, EventsOnStreamMinusOneAreAccepted) {
  FrameDecoder d;
  d.Feed(Response(Opcode::kEvent, S("STATUS_CHANGE"), -1));
  auto f = d.Next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->header.stream, -1);
}

// ---------------------------------------------------------------------------------------
// Response prefixes.

TEST(CqlResponseTest, TracingWarningsAndCustomPayloadPrecedeTheMessage) {
  const std::string tracing(16, '\x07');
  const std::string warnings = H("0002") + S("rf too high") + S("big batch");
  const std::string payload = H("0001") + S("k") + Cell("v");
  const std::string message = Int(1);  // RESULT Void
  const std::string wire =
      Response(Opcode::kResult, tracing + warnings + payload + message, 0,
               frame_flag::kTracing | frame_flag::kWarning | frame_flag::kCustomPayload);
  FrameDecoder d;
  d.Feed(wire);
  auto f = d.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  auto r = SplitResponseBody(**f);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tracing_id, tracing);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(r->warnings[0], "rf too high");
  EXPECT_EQ(r->warnings[1], "big batch");
  EXPECT_EQ(r->custom_payload, payload);
  EXPECT_EQ(r->message, message);
  EXPECT_TRUE(std::holds_alternative<VoidResult>(*ParseResult(r->message)));
}

TEST(CqlResponseTest, PrefixesAreBoundsChecked) {
  Frame f;
  f.header.response = true;
  f.header.opcode = Opcode::kResult;
  f.header.flags = frame_flag::kWarning;
  const std::string lying = H("0003") + S("one");  // claims three warnings
  f.body = lying;
  EXPECT_EQ(SplitResponseBody(f).status().code(), StatusCode::kInvalidArgument);
  f.header.flags = frame_flag::kTracing;
  const std::string short_id(15, 'x');
  f.body = short_id;
  EXPECT_FALSE(SplitResponseBody(f).ok());
  f.header.flags = frame_flag::kCustomPayload;
  const std::string payload = H("0001") + S("k") + Int(5) + "abc";
  f.body = payload;
  EXPECT_FALSE(SplitResponseBody(f).ok());
}

TEST(CqlResponseTest, ACompressedBodyIsRefused) {
  Frame f;
  f.header.opcode = Opcode::kResult;
  f.header.flags = frame_flag::kCompression;
  auto r = SplitResponseBody(f);
  EXPECT_NE(r.status().message().find("compress"), std::string_view::npos);
}

// ---------------------------------------------------------------------------------------
// ERROR.

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

// ---------------------------------------------------------------------------------------
// AUTHENTICATE, AUTH_*, SUPPORTED.

TEST(CqlResponseTest, AuthenticateNamesTheAuthenticator) {
  auto cls = ParseAuthenticate(Keep(S("org.apache.cassandra.auth.PasswordAuthenticator")));
  ASSERT_TRUE(cls.ok());
  EXPECT_EQ(*cls, "org.apache.cassandra.auth.PasswordAuthenticator");
  EXPECT_FALSE(ParseAuthenticate(Keep(H("0010") + "short")).ok());
}

TEST(CqlResponseTest, AuthTokensMayBeNull) {
  auto null_token = ParseAuthToken(Keep(H("ffffffff")));
  ASSERT_TRUE(null_token.ok());
  EXPECT_FALSE(null_token->has_value());
  auto token = ParseAuthToken(Keep(Cell("tok")));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->value(), "tok");
  EXPECT_FALSE(ParseAuthToken(Keep(H("000000"))).ok());
  EXPECT_FALSE(ParseAuthToken(Keep(H("00000005") + "tok")).ok());
}

TEST(CqlResponseTest, SupportedIsAStringMultimap) {
  const std::string body = H("0002") + S("CQL_VERSION") + H("0001") + S("3.4.7") +
                           S("PROTOCOL_VERSIONS") + H("0002") + S("4/v4") + S("5/v5");
  auto s = ParseSupported(body);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].key, "CQL_VERSION");
  EXPECT_EQ((*s)[0].values, std::vector<std::string_view>{"3.4.7"});
  EXPECT_EQ((*s)[1].key, "PROTOCOL_VERSIONS");
  EXPECT_EQ((*s)[1].values, (std::vector<std::string_view>{"4/v4", "5/v5"}));
  for (size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(ParseSupported(body.substr(0, n)).ok());
}

// ---------------------------------------------------------------------------------------
// Types.

// ListOfMapTextInt is list<map<varchar, int>>.
std::string ListOfMapTextInt() {
  return T(TypeId::kList) + T(TypeId::kMap) + T(TypeId::kVarchar) + T(TypeId::kInt);
}

TEST(CqlTypeTest, NestedCollectionsParseAndName) {
  auto t = ParseType(Keep(ListOfMapTextInt()));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->id(), TypeId::kList);
  EXPECT_EQ(t->element().id(), TypeId::kMap);
  EXPECT_EQ(t->element().key().id(), TypeId::kVarchar);
  EXPECT_EQ(t->element().value().id(), TypeId::kInt);
  EXPECT_EQ(t->ToString(), "list<map<varchar, int>>");
}

TEST(CqlTypeTest, UdtTupleAndCustom) {
  const std::string udt = T(TypeId::kUdt) + S("ks") + S("address") + H("0002") + S("street") +
                          T(TypeId::kVarchar) + S("zip") + T(TypeId::kInt);
  auto u = ParseType(udt);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->udt_keyspace(), "ks");
  EXPECT_EQ(u->udt_name(), "address");
  EXPECT_EQ(u->field_count(), 2u);
  FieldCursor fields = u->fields();
  std::string_view name;
  CqlType type;
  ASSERT_TRUE(fields.Next(&name, &type));
  EXPECT_EQ(name, "street");
  EXPECT_EQ(type.id(), TypeId::kVarchar);
  ASSERT_TRUE(fields.Next(&name, &type));
  EXPECT_EQ(name, "zip");
  EXPECT_EQ(type.id(), TypeId::kInt);
  EXPECT_FALSE(fields.Next(&name, &type));

  auto tuple = ParseType(Keep(T(TypeId::kTuple) + H("0002") + T(TypeId::kInt) + udt));
  ASSERT_TRUE(tuple.ok());
  EXPECT_EQ(tuple->ToString(), "tuple<int, ks.address>");

  auto custom =
      ParseType(Keep(T(TypeId::kCustom) + S("org.apache.cassandra.db.marshal.DurationType")));
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->custom_class(), "org.apache.cassandra.db.marshal.DurationType");
}

TEST(CqlTypeTest, UnknownTruncatedAndTooDeepTypesAreRefused) {
  EXPECT_NE(ParseType(Keep(H("0015"))).status().message().find("unknown column type id 0x0015"),
            std::string_view::npos);
  EXPECT_FALSE(ParseType(Keep(H("000a"))).ok());  // unused id
  EXPECT_FALSE(ParseType(Keep(H("00"))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kMap) + T(TypeId::kInt))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kTuple) + H("0003") + T(TypeId::kInt))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kInt) + "x")).ok());  // bytes after the type
  std::string deep;
  for (int i = 0; i < kMaxTypeDepth - 1; ++i) deep += T(TypeId::kList);
  EXPECT_TRUE(ParseType(Keep(deep + T(TypeId::kInt))).ok());
  EXPECT_NE(
      ParseType(Keep(T(TypeId::kList) + deep + T(TypeId::kInt))).status().message().find("deeper"),
      std::string_view::npos);
  // A body of 100000 nested lists must not recurse 100000 deep.
  std::string very_deep;
  for (int i = 0; i < 100000; ++i) very_deep += T(TypeId::kList);
  EXPECT_FALSE(ParseType(Keep(very_deep + T(TypeId::kInt))).ok());
}

TEST(CqlTypeTest, NativeAndDefault) {
  EXPECT_EQ(CqlType().id(), TypeId::kBlob);
  EXPECT_EQ(CqlType::Native(TypeId::kTinyint).id(), TypeId::kTinyint);
  EXPECT_EQ(CqlType::Native(TypeId::kVarchar).ToString(), "varchar");
}

TEST(CqlWireReaderTest, AFailedReadConsumesNothing) {
  const std::string in = H("0005") + "abc";
  WireReader r(in);
  std::string_view s;
  EXPECT_FALSE(r.String(&s));
  EXPECT_EQ(r.remaining(), in.size());
  std::vector<std::string_view> list;
  const std::string lying = H("0002") + S("a") + H("00");
  WireReader l(lying);
  EXPECT_FALSE(l.StringList(&list));
  EXPECT_EQ(l.remaining(), lying.size());
  const std::string negative = H("ffffffff");
  WireReader neg(negative);
  EXPECT_FALSE(neg.LongString(&s));
  EXPECT_EQ(neg.remaining(), 4u);
}

// ---------------------------------------------------------------------------------------
// RESULT.

// RowsBody: Rows with a global table spec, more pages, columns (k int, tags
// list<map<varchar,int>>), and two rows, the second with a null and an empty cell.
std::string RowsBody() {
  std::string list;  // [{"a": 1}]
  AppendInt(list, 1);
  std::string map;
  AppendInt(map, 1);
  map += Cell("a") + Cell(H("00000001"));
  list += Cell(map);
  return Int(2) + Int(0x0003) + Int(2) + Cell("page-2") + S("ks") + S("t") + S("k") +
         T(TypeId::kInt) + S("tags") + ListOfMapTextInt() + Int(2) + Cell(H("00000007")) +
         Cell(list) + Cell("") + H("ffffffff");
}

TEST(CqlResultTest, RowsGiveMetadataAndCellsAsViews) {
  const std::string body = RowsBody();
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_EQ(rows.metadata.column_count, 2);
  EXPECT_EQ(rows.metadata.paging_state, "page-2");
  ASSERT_EQ(rows.metadata.columns.size(), 2u);
  EXPECT_EQ(rows.metadata.columns[0].keyspace, "ks");
  EXPECT_EQ(rows.metadata.columns[0].table, "t");
  EXPECT_EQ(rows.metadata.columns[0].name, "k");
  EXPECT_EQ(rows.metadata.columns[0].type.id(), TypeId::kInt);
  EXPECT_EQ(rows.metadata.columns[1].name, "tags");
  EXPECT_EQ(rows.metadata.columns[1].type.ToString(), "list<map<varchar, int>>");
  EXPECT_EQ(rows.row_count, 2);
  CellCursor cells = rows.cells();
  EXPECT_EQ(cells.remaining(), 4u);
  EXPECT_EQ(cells.Next(), H("00000007"));
  auto list = cells.Next();
  ASSERT_TRUE(list.has_value());
  // Zero copy: the cell points into the body.
  EXPECT_GE(list->data(), body.data());
  EXPECT_LT(list->data(), body.data() + body.size());
  auto empty = cells.Next();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  EXPECT_FALSE(cells.Next().has_value());  // NULL
  EXPECT_TRUE(cells.done());
}

TEST(CqlResultTest, EveryTruncationOfRowsIsRefused) {
  const std::string body = RowsBody();
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = ParseResult(body.substr(0, n));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "length " << n;
  }
  EXPECT_TRUE(ParseResult(Keep(body + "extra")).ok());  // trailing bytes are ignored (§4.2)
}

TEST(CqlResultTest, RowsWithPerColumnTableSpecs) {
  const std::string body = Int(2) + Int(0) + Int(2) + S("ks1") + S("t1") + S("a") +
                           T(TypeId::kVarchar) + S("ks2") + S("t2") + S("b") + T(TypeId::kBoolean) +
                           Int(1) + Cell("x") + Cell(H("01"));
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_FALSE(rows.metadata.paging_state.has_value());
  EXPECT_EQ(rows.metadata.columns[1].keyspace, "ks2");
  EXPECT_EQ(rows.metadata.columns[1].table, "t2");
  EXPECT_EQ(rows.metadata.columns[1].type.id(), TypeId::kBoolean);
}

TEST(CqlResultTest, RowsWithoutMetadataStillCountColumns) {
  const std::string body =
      Int(2) + Int(rows_flag::kNoMetadata) + Int(1) + Int(2) + Cell("a") + Cell("b");
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok());
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_TRUE(rows.metadata.columns.empty());
  CellCursor c = rows.cells();
  EXPECT_EQ(c.Next(), "a");
  EXPECT_EQ(c.Next(), "b");
  EXPECT_TRUE(c.done());
}

TEST(CqlResultTest, LyingRowsCountsAreRefused) {
  const std::string no_md = Int(2) + Int(rows_flag::kNoMetadata);
  // Two billion columns of metadata in a few bytes: refused without reserving for them.
  EXPECT_FALSE(ParseResult(Keep(Int(2) + Int(1) + Int(0x7fffffff) + S("ks") + S("t") + S("a") +
                                T(TypeId::kInt)))
                   .ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(0x7fffffff) + Int(0x7fffffff) + Cell("x"))).ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(-1) + Int(0))).ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(1) + Int(-1))).ok());
  // Rows of zero columns take no bytes, so nothing would bound their number.
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(0) + Int(1000000000))).ok());
  EXPECT_TRUE(ParseResult(Keep(no_md + Int(0) + Int(0))).ok());
  // More pages announced with a null paging state.
  EXPECT_FALSE(ParseResult(Keep(Int(2) + Int(rows_flag::kNoMetadata | rows_flag::kHasMorePages) +
                                Int(1) + H("ffffffff") + Int(0)))
                   .ok());
}

// PreparedBody: SELECT v FROM ks.t WHERE k = ? AND c = ?, partition key k at marker 0.
std::string PreparedBody() {
  return Int(4) + H("0002 beef") + Int(rows_flag::kGlobalTablesSpec) + Int(2) + Int(1) + H("0000") +
         S("ks") + S("t") + S("k") + T(TypeId::kVarchar) + S("c") + T(TypeId::kTimestamp) +
         Int(rows_flag::kGlobalTablesSpec) + Int(1) + S("ks") + S("t") + S("v") +
         T(TypeId::kDouble);
}

TEST(CqlResultTest, PreparedGivesIdBindMarkersKeyIndexesAndResultColumns) {
  auto r = ParseResult(Keep(PreparedBody()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PreparedResult& p = std::get<PreparedResult>(*r);
  EXPECT_EQ(p.id, H("beef"));
  EXPECT_EQ(p.pk_indexes, std::vector<uint16_t>{0});
  ASSERT_EQ(p.bind_columns.size(), 2u);
  EXPECT_EQ(p.bind_columns[0].name, "k");
  EXPECT_EQ(p.bind_columns[1].type.id(), TypeId::kTimestamp);
  ASSERT_EQ(p.result_metadata.columns.size(), 1u);
  EXPECT_EQ(p.result_metadata.columns[0].name, "v");
  EXPECT_EQ(p.result_metadata.columns[0].type.id(), TypeId::kDouble);
}

TEST(CqlResultTest, EveryTruncationOfPreparedIsRefused) {
  const std::string body = PreparedBody();
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(ParseResult(body.substr(0, n)).ok()) << "length " << n;
  }
}

TEST(CqlResultTest, APartitionKeyIndexBeyondTheMarkersIsRefused) {
  const std::string body = Int(4) + H("0001 01") + Int(1) + Int(1) + Int(1) + H("0001") + S("ks") +
                           S("t") + S("k") + T(TypeId::kInt) + Int(rows_flag::kNoMetadata) + Int(0);
  EXPECT_NE(ParseResult(body).status().message().find("partition key index 1"),
            std::string_view::npos);
}

TEST(CqlResultTest, VoidSetKeyspaceAndSchemaChange) {
  EXPECT_TRUE(std::holds_alternative<VoidResult>(*ParseResult(Keep(Int(1)))));
  auto ks = ParseResult(Keep(Int(3) + S("shop")));
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ(std::get<SetKeyspaceResult>(*ks).keyspace, "shop");

  auto table = ParseResult(Keep(Int(5) + S("CREATED") + S("TABLE") + S("shop") + S("items")));
  ASSERT_TRUE(table.ok());
  const auto& t = std::get<SchemaChangeResult>(*table);
  EXPECT_EQ(t.change, "CREATED");
  EXPECT_EQ(t.target, "TABLE");
  EXPECT_EQ(t.keyspace, "shop");
  EXPECT_EQ(t.name, "items");

  auto keyspace = ParseResult(Keep(Int(5) + S("DROPPED") + S("KEYSPACE") + S("shop")));
  ASSERT_TRUE(keyspace.ok());
  EXPECT_EQ(std::get<SchemaChangeResult>(*keyspace).name, "");

  auto fn = ParseResult(Keep(Int(5) + S("UPDATED") + S("FUNCTION") + S("shop") + S("f") +
                             H("0002") + S("int") + S("text")));
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(std::get<SchemaChangeResult>(*fn).arg_types,
            (std::vector<std::string_view>{"int", "text"}));

  EXPECT_FALSE(ParseResult(Keep(Int(5) + S("CREATED") + S("INDEX") + S("shop"))).ok());
  EXPECT_FALSE(ParseResult(Keep(Int(5) + S("CREATED") + S("TABLE") + S("shop"))).ok());
  EXPECT_FALSE(ParseResult(Keep(Int(3))).ok());
  EXPECT_NE(ParseResult(Keep(Int(6))).status().message().find("unknown kind 6"),
            std::string_view::npos);
  EXPECT_FALSE(ParseResult(Keep(H("000000"))).ok());
}

}  // namespace
}  // namespace shoal::store::cassandra
