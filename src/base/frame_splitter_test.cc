// Tests for frame_splitter.h over a toy format: a 1-byte length, then that many bytes; a length
// byte of 0xff is refused. The rpc and CQL decoders test their own formats on top of it.
#include "base/frame_splitter.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

struct ToyRules {
  using Frame = std::string_view;  // the payload
  static constexpr size_t kSizeKnownAt = 1;
  Status Check(std::string_view head) const {
    if (!head.empty() && static_cast<unsigned char>(head[0]) == 0xff) {
      return Status::InvalidArgument("length 255 refused");
    }
    return Status();
  }
  size_t FrameSize(std::string_view head) const {
    return 1 + size_t{static_cast<unsigned char>(head[0])};
  }
  Frame Parse(std::string_view whole) const { return whole.substr(1); }
};

using ToySplitter = FrameSplitter<ToyRules>;

std::string Toy(std::string_view payload) {
  return std::string(1, static_cast<char>(payload.size())) + std::string(payload);
}

// Drain returns the payloads of every whole frame buffered.
std::vector<std::string> Drain(ToySplitter& s) {
  std::vector<std::string> out;
  for (;;) {
    Result<std::optional<std::string_view>> next = s.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return out;
    out.emplace_back(**next);
  }
}

TEST(FrameSplitterTest, BytesFedOneByOneComeOutAsWholeFrames) {
  const std::string wire = Toy("abc") + Toy("") + Toy("hello");
  ToySplitter s{ToyRules()};
  std::vector<std::string> got;
  for (const char c : wire) {
    s.Feed(std::string_view(&c, 1));
    for (std::string& f : Drain(s)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"abc", "", "hello"}));
  EXPECT_EQ(s.buffered(), 0u);
}

TEST(FrameSplitterTest, PrepareMakesRoomForTheWholeFrameOnceItsSizeIsKnown) {
  const std::string wire = Toy(std::string(200, 'x'));
  ToySplitter s{ToyRules()};
  std::span<char> space = s.Prepare(1);
  space[0] = wire[0];
  s.Commit(1);
  space = s.Prepare(1);
  EXPECT_GE(space.size(), 200u);
  std::copy(wire.begin() + 1, wire.end(), space.begin());
  s.Commit(200);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{std::string(200, 'x')}));
}

TEST(FrameSplitterTest, ARefusalIsFinal) {
  ToySplitter s{ToyRules()};
  s.Feed(Toy("ok") + "\xff");
  Result<std::optional<std::string_view>> first = s.Next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, "ok");
  for (int i = 0; i < 2; ++i) {
    Result<std::optional<std::string_view>> next = s.Next();
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.status().message(), "length 255 refused");
    s.Feed(Toy("more"));
  }
}

TEST(FrameSplitterTest, ABigBufferIsReleasedOnceEmpty) {
  ToySplitter s{ToyRules()};
  std::string wire;
  // 2 MiB of 201-byte frames: the buffer grows past kKeepBuffer.
  while (wire.size() < 2 * ToySplitter::kKeepBuffer) wire += Toy(std::string(200, 'y'));
  s.Feed(wire);
  EXPECT_GT(s.capacity(), ToySplitter::kKeepBuffer);
  EXPECT_EQ(Drain(s).size(), wire.size() / 201);
  s.Prepare(1);
  EXPECT_LE(s.capacity(), ToySplitter::kKeepBuffer);
}

}  // namespace
}  // namespace shoal
