// Tests for cql_frame.h and cql_wire.h: the FrameDecoder's chunking and refusals, and the
// WireReader's all-or-nothing reads.
#include "store/cassandra/cql_frame.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_response.h"
#include "store/cassandra/cql_result.h"
#include "store/cassandra/cql_test_util.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

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

}  // namespace
}  // namespace shoal::store::cassandra
