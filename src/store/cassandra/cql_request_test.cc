// Tests for cql_request.h: request bytes against hand-assembled encodings from
// native_protocol_v4.spec, refusals that append nothing, and a round trip through a decoder.
#include "store/cassandra/cql_request.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

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

}  // namespace
}  // namespace shoal::store::cassandra
