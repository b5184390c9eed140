// Tests for cql_compression.h: LZ4 frame bodies in both directions, through the FrameDecoder
// as the connection reads them, and every way a compressed body can be wrong.
#include "store/cassandra/cql_compression.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <lz4.h>

#include "base/big_endian.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

// Lz4Body is what a server sends: [int] uncompressed length, then the LZ4 block of `plain`,
// made here with liblz4 directly (not with CompressFrameBody, which is under test).
std::string Lz4Body(std::string_view plain, uint32_t stated) {
  std::string out(4 + static_cast<size_t>(LZ4_compressBound(static_cast<int>(plain.size()))), 0);
  StoreBigEndian32(out.data(), stated);
  const int n = LZ4_compress_default(plain.data(), out.data() + 4, static_cast<int>(plain.size()),
                                     static_cast<int>(out.size() - 4));
  out.resize(4 + static_cast<size_t>(n));
  return out;
}

std::string Repetitive(size_t n) {
  std::string s;
  while (s.size() < n) s += "row " + std::to_string(s.size() % 977) + " of a large result; ";
  s.resize(n);
  return s;
}

// DecodeOne runs `wire` through the client decoder `d` and returns its one frame's inflation
// (which may view `d`'s buffer: keep `d` while using it).
Result<Frame> DecodeOne(FrameDecoder& d, const std::string& wire, std::string& scratch,
                        uint32_t max_body) {
  d.Feed(wire);
  auto f = d.Next();
  if (!f.ok()) return f.status();
  if (!f->has_value()) return Status::Internal("no frame");
  return InflateFrame(**f, max_body, scratch);
}

TEST(CqlCompressionTest, AServerCompressedResultInflatesToItsBytes) {
  FrameDecoder d;
  const std::string plain = Repetitive(300 << 10);
  const std::string wire =
      Response(Opcode::kResult, Lz4Body(plain, static_cast<uint32_t>(plain.size())), 7,
               frame_flag::kCompression | frame_flag::kWarning);
  ASSERT_LT(wire.size(), plain.size() / 4);  // really compressed
  std::string scratch;
  Result<Frame> f = DecodeOne(d, wire, scratch, kMaxBodyLimit);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->body, plain);
  EXPECT_EQ(f->header.length, plain.size());
  EXPECT_EQ(f->header.stream, 7);
  EXPECT_EQ(f->header.flags, frame_flag::kWarning);  // the other flags stay
}

TEST(CqlCompressionTest, AFrameWithoutTheFlagIsLeftAlone) {
  FrameDecoder d;
  const std::string wire = Response(Opcode::kResult, "plain body", 3);
  std::string scratch;
  Result<Frame> f = DecodeOne(d, wire, scratch, kMaxBodyLimit);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->body, "plain body");
  EXPECT_TRUE(scratch.empty());
}

TEST(CqlCompressionTest, AnEmptyCompressedBodyInflatesToNothing) {
  FrameDecoder d;
  std::string scratch;
  Result<Frame> f =
      DecodeOne(d, Response(Opcode::kReady, Lz4Body("", 0), 1, frame_flag::kCompression), scratch,
                kMaxBodyLimit);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->body.empty());
}

// ShortBodyClaiming is 9 bytes of compressed body (its length, then a 5-byte block) that claim
// `stated` bytes uncompressed: an allocation bomb if believed.
std::string ShortBodyClaiming(uint32_t stated) {
  std::string body(4, 0);
  StoreBigEndian32(body.data(), stated);
  body +=
      "\x1f"
      "aaaa";
  return body;
}

TEST(CqlCompressionTest, AStatedLengthAboveMaxBodyIsRefusedBeforeAllocating) {
  FrameDecoder d;
  std::string body = ShortBodyClaiming(200u << 20);
  std::string scratch;
  Result<Frame> f =
      DecodeOne(d, Response(Opcode::kResult, body, 1, frame_flag::kCompression), scratch, 1 << 20);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find("above the limit"), std::string_view::npos)
      << f.status().message();
  EXPECT_LT(scratch.capacity(), size_t{1} << 20);
  // A negative [int] is no better.
  StoreBigEndian32(body.data(), 0xFFFFFFF0u);
  EXPECT_FALSE(DecodeOne(d, Response(Opcode::kResult, body, 1, frame_flag::kCompression), scratch,
                         kMaxBodyLimit)
                   .ok());
}

TEST(CqlCompressionTest, AStatedLengthNoBlockThatShortCanMakeIsRefusedBeforeAllocating) {
  FrameDecoder d;
  // 5 bytes of block claiming 200 MiB, under the limit (256 MiB): refused before the scratch
  // buffer is sized for it.
  const std::string body = ShortBodyClaiming(200u << 20);
  std::string scratch;
  Result<Frame> f = DecodeOne(d, Response(Opcode::kResult, body, 1, frame_flag::kCompression),
                              scratch, kMaxBodyLimit);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("more than LZ4 can make"), std::string_view::npos)
      << f.status().message();
  EXPECT_LT(scratch.capacity(), size_t{1} << 20);
  // The most compressible input there is still inflates: 4 MiB of one byte.
  const std::string zeros(size_t{4} << 20, '\0');
  const std::string packed = Lz4Body(zeros, static_cast<uint32_t>(zeros.size()));
  ASSERT_LT(packed.size() * 200, zeros.size());  // a ratio near LZ4's 255
  Result<Frame> inflated = DecodeOne(
      d, Response(Opcode::kResult, packed, 1, frame_flag::kCompression), scratch, kMaxBodyLimit);
  ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
  EXPECT_EQ(inflated->body, zeros);
}

TEST(CqlCompressionTest, ACorruptBlockIsRefused) {
  FrameDecoder d;
  const std::string plain = Repetitive(4096);
  std::string body = Lz4Body(plain, 4096);
  // Truncated block.
  std::string scratch;
  auto truncated = DecodeOne(
      d, Response(Opcode::kResult, body.substr(0, body.size() / 2), 1, frame_flag::kCompression),
      scratch, kMaxBodyLimit);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("does not decompress"), std::string_view::npos);
  // Garbage where the block was.
  std::string garbage = body.substr(0, 4) + std::string(64, '\xff');
  EXPECT_FALSE(DecodeOne(d, Response(Opcode::kResult, garbage, 1, frame_flag::kCompression),
                         scratch, kMaxBodyLimit)
                   .ok());
  // A good block whose stated length is wrong, either way.
  for (uint32_t stated : {4095u, 4097u, 8192u}) {
    EXPECT_FALSE(
        DecodeOne(d, Response(Opcode::kResult, Lz4Body(plain, stated), 1, frame_flag::kCompression),
                  scratch, kMaxBodyLimit)
            .ok())
        << stated;
  }
  // Too short to hold the length.
  EXPECT_FALSE(DecodeOne(d, Response(Opcode::kResult, "\x00\x01", 1, frame_flag::kCompression),
                         scratch, kMaxBodyLimit)
                   .ok());
}

TEST(CqlCompressionTest, ALargeRequestIsCompressedAndInflatesBack) {
  std::string out = "prefix";  // frames are compressed where they start in a write queue
  const std::string query = "SELECT * FROM t WHERE k IN ('" + Repetitive(64 << 10) + "')";
  ASSERT_TRUE(AppendQuery(out, 42, query, QueryParameters{}).ok());
  const std::string plain_frame = out.substr(6);
  ASSERT_TRUE(CompressFrameBody(out, 6, 512));
  EXPECT_EQ(out.substr(0, 6), "prefix");
  const FrameHeader h = ParseFrameHeader(std::string_view(out).substr(6));
  EXPECT_EQ(h.flags, frame_flag::kCompression);
  EXPECT_EQ(h.stream, 42);
  EXPECT_EQ(h.opcode, Opcode::kQuery);
  EXPECT_EQ(h.length, out.size() - 6 - kFrameHeaderSize);
  EXPECT_LT(out.size(), plain_frame.size() / 4);
  // Read back as a server would (a decoder for requests), then inflated.
  FrameDecoder server(FrameDecoder::Options{.expect_responses = false});
  server.Feed(std::string_view(out).substr(6));
  auto f = server.Next();
  ASSERT_TRUE(f.ok() && f->has_value()) << f.status().ToString();
  std::string scratch;
  Result<Frame> inflated = InflateFrame(**f, kMaxBodyLimit, scratch);
  ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
  EXPECT_EQ(inflated->body, std::string_view(plain_frame).substr(kFrameHeaderSize));
}

TEST(CqlCompressionTest, SmallOrIncompressibleBodiesStayPlain) {
  std::string out;
  ASSERT_TRUE(AppendQuery(out, 1, "SELECT 1", QueryParameters{}).ok());
  const std::string before = out;
  EXPECT_FALSE(CompressFrameBody(out, 0, 512));
  EXPECT_EQ(out, before);
  // 4 KiB of pseudo-random bytes do not shrink: sent plain.
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    noise.push_back(static_cast<char>(x >> 24));
  }
  out.clear();
  ASSERT_TRUE(AppendQuery(out, 1, noise, QueryParameters{}).ok());
  const std::string noisy = out;
  EXPECT_FALSE(CompressFrameBody(out, 0, 512));
  EXPECT_EQ(out, noisy);
}

}  // namespace
}  // namespace shoal::store::cassandra
