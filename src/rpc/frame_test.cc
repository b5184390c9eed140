// Unit tests of the frame codec (frame.h) and the handshake's proofs (auth.h).
#include "rpc/frame.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "rpc/auth.h"

namespace shoal::rpc {
namespace {

std::string Encode(FrameType type, uint8_t method, uint64_t id, std::string_view payload) {
  std::string out;
  EXPECT_TRUE(AppendFrame(out, type, method, id, payload).ok());
  return out;
}

// Drain returns every frame the decoder has complete, as re-encoded bytes.
std::vector<std::string> Drain(FrameDecoder& d) {
  std::vector<std::string> out;
  for (;;) {
    Result<std::optional<Frame>> next = d.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::string());
    EXPECT_TRUE(AppendFrame(out.back(), **next).ok());
  }
}

TEST(FrameTest, HeaderIsBigEndianByteForByte) {
  const std::string f = Encode(FrameType::kCall, 7, 0x0102030405060708ull, "abc");
  const std::string want(
      "\x00\x00\x00\x0d"  // length: 10 + 3
      "\x01"              // CALL
      "\x07"              // method
      "\x01\x02\x03\x04\x05\x06\x07\x08"
      "abc",
      17);
  EXPECT_EQ(f, want);
  EXPECT_EQ(f.size(), kFrameHeaderSize + 3);
}

TEST(FrameTest, HeaderThenPayloadEqualsWholeFrame) {
  std::string a;
  ASSERT_TRUE(AppendFrameHeader(a, FrameType::kReply, 0, 42, 5).ok());
  a += "hello";
  EXPECT_EQ(a, Encode(FrameType::kReply, 0, 42, "hello"));
}

TEST(FrameTest, DecodesEveryTypeWithItsFields) {
  for (uint8_t t = 1; t <= 10; ++t) {
    ASSERT_TRUE(IsFrameType(t));
    const auto type = static_cast<FrameType>(t);
    EXPECT_NE(FrameTypeName(type), "?");
    FrameDecoder d(1024);
    d.Feed(Encode(type, static_cast<uint8_t>(t * 3), 1000u + t, std::string(t, 'x')));
    Result<std::optional<Frame>> next = d.Next();
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(next->has_value());
    const Frame& f = **next;
    EXPECT_EQ(f.type, type);
    EXPECT_EQ(f.method, t * 3);
    EXPECT_EQ(f.id, 1000u + t);
    EXPECT_EQ(f.payload, std::string(t, 'x'));
    EXPECT_EQ(d.buffered(), 0u);
  }
  EXPECT_FALSE(IsFrameType(0));
  EXPECT_FALSE(IsFrameType(11));
}

TEST(FrameTest, ByteByByteYieldsTheSameFrames) {
  const std::string stream = Encode(FrameType::kHello, 0, 0, std::string("\x01", 1)) +
                             Encode(FrameType::kCall, 1, 1, "") +
                             Encode(FrameType::kCall, 2, 2, std::string(300, 'p')) +
                             Encode(FrameType::kPing, 0, 3, "ping");
  FrameDecoder d(1 << 20);
  std::vector<std::string> got;
  for (char c : stream) {
    d.Feed(std::string_view(&c, 1));
    for (std::string& f : Drain(d)) got.push_back(std::move(f));
  }
  std::string joined;
  for (const auto& f : got) joined += f;
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ(joined, stream);
}

TEST(FrameTest, ManyFramesInOneReadAreViewsIntoTheBuffer) {
  std::string stream;
  for (uint64_t i = 0; i < 100; ++i) stream += Encode(FrameType::kReply, 0, i, std::to_string(i));
  FrameDecoder d(1 << 20);
  d.Feed(stream);
  std::vector<Frame> frames;
  for (;;) {
    Result<std::optional<Frame>> next = d.Next();
    ASSERT_TRUE(next.ok());
    if (!next->has_value()) break;
    frames.push_back(**next);
  }
  ASSERT_EQ(frames.size(), 100u);
  // Without a Prepare or Feed in between, every earlier payload is still valid.
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(frames[i].id, i);
    EXPECT_EQ(frames[i].payload, std::to_string(i));
  }
}

TEST(FrameTest, PrepareMakesRoomForTheWholeFrameAndCommitAppends) {
  const std::string big = Encode(FrameType::kReply, 0, 9, std::string(200000, 'b'));
  FrameDecoder d(1 << 20);
  d.Feed(big.substr(0, 20));
  ASSERT_TRUE(d.Next().ok());
  std::span<char> space = d.Prepare(1);
  // The rest of the frame fits in one read.
  EXPECT_GE(space.size(), big.size() - 20);
  std::memcpy(space.data(), big.data() + 20, big.size() - 20);
  d.Commit(big.size() - 20);
  std::vector<std::string> got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], big);
}

TEST(FrameTest, AHeaderClaimingALargeFrameGetsRoomOnlyAsItsBytesCome) {
  const std::string big = Encode(FrameType::kReply, 0, 9, std::string(5 << 20, 'b'));
  FrameDecoder d(64 << 20);
  d.Feed(big.substr(0, 20));
  ASSERT_TRUE(d.Next().ok());
  // 5 MiB claimed, 20 bytes here: 1 MiB of room, not 5.
  std::span<char> space = d.Prepare(1);
  EXPECT_GE(space.size(), FrameDecoder::kReserveAhead);
  EXPECT_LT(d.capacity(), size_t{2} << 20);
  // Then the buffer at most doubles per step while the rest arrives, in few reads.
  size_t fed = 20;
  int steps = 0;
  while (fed < big.size()) {
    space = d.Prepare(1);
    const size_t n = std::min(space.size(), big.size() - fed);
    std::memcpy(space.data(), big.data() + fed, n);
    d.Commit(n);
    fed += n;
    ++steps;
    EXPECT_LE(d.capacity(), 2 * fed + FrameDecoder::kReserveAhead);
  }
  EXPECT_LE(steps, 4);
  std::vector<std::string> got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], big);
}

TEST(FrameTest, AGrownBufferIsReleasedOnceEmpty) {
  FrameDecoder d(8 << 20);
  d.Feed(Encode(FrameType::kReply, 0, 1, std::string(3 << 20, 'z')));
  EXPECT_GT(d.capacity(), FrameDecoder::kKeepBuffer);
  EXPECT_EQ(Drain(d).size(), 1u);
  d.Prepare();
  EXPECT_LE(d.capacity(), FrameDecoder::kKeepBuffer);
}

TEST(FrameTest, LengthAtTheLimitIsAcceptedAndOneOverIsRefusedFromTheHeaderAlone) {
  const uint32_t max = 100;
  {
    FrameDecoder d(max);
    d.Feed(Encode(FrameType::kCall, 1, 1, std::string(max - kMinFrameLength, 'a')));
    EXPECT_EQ(Drain(d).size(), 1u);
  }
  FrameDecoder d(max);
  // Only the length field: refused before any payload is buffered.
  d.Feed(std::string("\x00\x00\x00\x65", 4));  // 101
  Result<std::optional<Frame>> next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(next.status().message().find("over the limit"), std::string_view::npos)
      << next.status().message();
  // The error sticks, whatever comes next.
  d.Feed(Encode(FrameType::kPing, 0, 1, ""));
  EXPECT_FALSE(d.Next().ok());
}

TEST(FrameTest, LengthTooShortForTheHeaderIsRefused) {
  for (uint32_t len : {0u, 1u, 9u}) {
    FrameDecoder d(1024);
    const char bytes[4] = {0, 0, 0, static_cast<char>(len)};
    d.Feed(std::string_view(bytes, 4));
    Result<std::optional<Frame>> next = d.Next();
    ASSERT_FALSE(next.ok()) << len;
    EXPECT_NE(next.status().message().find("too short"), std::string_view::npos);
  }
}

TEST(FrameTest, UnknownTypeIsRefusedFromItsFifthByte) {
  for (int type : {0, 11, 0x77, 255}) {
    FrameDecoder d(1024);
    const char bytes[5] = {0, 0, 0, 10, static_cast<char>(type)};
    d.Feed(std::string_view(bytes, 5));
    Result<std::optional<Frame>> next = d.Next();
    ASSERT_FALSE(next.ok()) << type;
    EXPECT_NE(next.status().message().find("unknown frame type"), std::string_view::npos);
  }
}

TEST(FrameTest, TextIsNotAFrame) {
  FrameDecoder d(64 << 20);
  d.Feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // length field "GET " = 1,195,725,856
  EXPECT_FALSE(d.Next().ok());
}

TEST(FrameTest, PartialHeaderNeedsMore) {
  const std::string f = Encode(FrameType::kPong, 0, 5, "");
  for (size_t n = 0; n < f.size(); ++n) {
    FrameDecoder d(1024);
    d.Feed(f.substr(0, n));
    Result<std::optional<Frame>> next = d.Next();
    ASSERT_TRUE(next.ok()) << n;
    EXPECT_FALSE(next->has_value()) << n;
  }
}

auth::Hello HelloOf(std::string nonce, std::string client_self, std::string server_addr) {
  return auth::Hello{std::move(nonce), std::move(client_self), std::move(server_addr)};
}

TEST(FrameTest, APayloadTooLargeForTheLengthFieldIsAnErrorNotAWrap) {
  std::string out = "x";
  Status st = AppendFrameHeader(out, FrameType::kReply, 0, 1, kMaxPayload + 1);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(out, "x");  // nothing appended
  EXPECT_TRUE(AppendFrameHeader(out, FrameType::kReply, 0, 1, kMaxPayload).ok());
  EXPECT_EQ(out.size(), 1 + kFrameHeaderSize);
  EXPECT_EQ(out.substr(1, 4), std::string("\xff\xff\xff\xff", 4));
}

TEST(FrameTest, TheLimitCanBeRaisedForFramesNotYetBegun) {
  FrameDecoder d(64);
  d.Feed(Encode(FrameType::kHello, 0, 0, std::string(40, 'h')));
  std::vector<std::string> got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  d.set_max_frame(1 << 20);
  const std::string big = Encode(FrameType::kCall, 1, 2, std::string(1000, 'c'));
  d.Feed(big);
  got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], big);
}

TEST(AuthTest, ProofsDependOnSecretNoncesIdentitiesAndDirection) {
  const std::string cn = auth::MakeNonce();
  const std::string sn = auth::MakeNonce();
  ASSERT_EQ(cn.size(), auth::kNonceSize);
  ASSERT_EQ(sn.size(), auth::kNonceSize);
  EXPECT_NE(cn, sn);
  const auth::Hello h = HelloOf(cn, "a:1", "b:2");
  const std::string c = auth::ClientProof("s3cret", h, sn);
  ASSERT_EQ(c.size(), auth::kProofSize);
  EXPECT_TRUE(auth::ProofMatches(c, auth::ClientProof("s3cret", h, sn)));
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret!", h, sn)));
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret", HelloOf(sn, "a:1", "b:2"), cn)));
  // Both identities are bound, and unambiguously (length-prefixed).
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret", HelloOf(cn, "a:1", "c:2"), sn)));
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret", HelloOf(cn, "c:1", "b:2"), sn)));
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret", HelloOf(cn, "b:2", "a:1"), sn)));
  EXPECT_FALSE(auth::ProofMatches(c, auth::ClientProof("s3cret", HelloOf(cn, "a:1b", ":2"), sn)));
  // A client proof is never a server proof (no reflection).
  EXPECT_FALSE(auth::ProofMatches(c, auth::ServerProof("s3cret", h, sn)));
  EXPECT_FALSE(auth::ProofMatches(c.substr(0, 31), auth::ClientProof("s3cret", h, sn)));
  EXPECT_FALSE(auth::ProofMatches("", ""));
}

TEST(AuthTest, HelloRoundTripsAndRefusesMalformedOrOtherVersions) {
  const auth::Hello h = HelloOf(std::string(32, 'n'), "10.0.0.1:7070", "10.0.0.2:7070");
  const std::string bytes = auth::EncodeHello(h);
  EXPECT_LE(bytes.size(), auth::kMaxHelloPayload);
  Result<auth::Hello> back = auth::DecodeHello(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->nonce, h.nonce);
  EXPECT_EQ(back->client_self, h.client_self);
  EXPECT_EQ(back->server_addr, h.server_addr);
  // Version 1 (the old handshake) is refused as a version mismatch.
  Result<auth::Hello> v1 = auth::DecodeHello(std::string(1, '\x01') + std::string(32, 'n'));
  ASSERT_FALSE(v1.ok());
  EXPECT_TRUE(auth::IsVersionMismatch(v1.status())) << v1.status().ToString();
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<auth::Hello> cut = auth::DecodeHello(bytes.substr(0, n));
    EXPECT_FALSE(cut.ok()) << n;
    if (n > 0) {
      EXPECT_FALSE(auth::IsVersionMismatch(cut.status())) << n;
    }
  }
  EXPECT_FALSE(auth::DecodeHello(bytes + "x").ok());
  std::string bad_nonce = bytes;
  bad_nonce[1] = 31;  // a 31-byte nonce
  EXPECT_FALSE(auth::DecodeHello(bad_nonce).ok());
  // The largest HELLO fits the limit frames have before the handshake is done.
  const auth::Hello big =
      HelloOf(std::string(32, 'n'), std::string(300, 'a'), std::string(300, 'b'));
  EXPECT_LE(auth::EncodeHello(big).size() + kMinFrameLength, auth::kMaxHandshakeFrame);
}

TEST(AuthTest, OutstandingNoncesAreRememberedUntilRemoved) {
  const std::string n = auth::MakeNonce();
  auth::NonceSet set;
  EXPECT_FALSE(set.Contains(n));
  set.Add(n);
  set.Add(n);  // two connections may (in theory) draw the same nonce: each removes its own
  EXPECT_TRUE(set.Contains(n));
  set.Remove(n);
  EXPECT_TRUE(set.Contains(n));
  set.Remove(n);
  EXPECT_FALSE(set.Contains(n));
}

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Known answers, computed independently (Python's hmac module) from the construction that
// docs/rpc-format.md specifies: HMAC-SHA256(secret, label || u8 len || client_self || u8 len ||
// server_addr || client nonce || server nonce).
// They pin the wire format: a change here breaks every mixed-version cluster.
TEST(AuthTest, ProofsMatchTheDocumentedConstruction) {
  const std::string cn(32, 'a');
  const std::string sn(32, 'b');
  const auth::Hello h = HelloOf(cn, "10.0.0.1:7070", "10.0.0.2:7070");
  EXPECT_EQ(Hex(auth::ServerProof("Jefe", h, sn)),
            "d11a1c6c1ccb7c090229a15f371c0fa8374d6d1355662fa708ff461fa75678bc");
  EXPECT_EQ(Hex(auth::ClientProof("Jefe", h, sn)),
            "1bc6eb531b2497569f6870fa227e2debc4ac677c006669a6339f54ea19063e46");
}

}  // namespace
}  // namespace shoal::rpc
