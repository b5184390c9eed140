// Tests for big_endian.h: each width against hand-written bytes, and round trips at the edges.
#include "base/big_endian.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(BigEndianTest, AppendWritesTheMostSignificantByteFirst) {
  std::string out;
  AppendBigEndian16(out, 0x0102);
  AppendBigEndian32(out, 0x03040506);
  AppendBigEndian64(out, 0x0708090a0b0c0d0eULL);
  AppendBigEndian(out, 0xaabbccULL, 3);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
                             "\xaa\xbb\xcc"));
}

TEST(BigEndianTest, LoadReadsWhatStoreWrote) {
  char b[8];
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x80}, uint64_t{0xff00ff00ff00ff00ULL},
                     std::numeric_limits<uint64_t>::max()}) {
    StoreBigEndian64(b, v);
    EXPECT_EQ(LoadBigEndian64(b), v);
    EXPECT_EQ(LoadBigEndian(std::string_view(b, 8)), v);
    StoreBigEndian32(b, static_cast<uint32_t>(v));
    EXPECT_EQ(LoadBigEndian32(b), static_cast<uint32_t>(v));
    StoreBigEndian16(b, static_cast<uint16_t>(v));
    EXPECT_EQ(LoadBigEndian16(b), static_cast<uint16_t>(v));
  }
}

TEST(BigEndianTest, HighBytesAreUnsigned) {
  const std::string bytes = "\xff\xfe";
  EXPECT_EQ(LoadBigEndian16(bytes.data()), 0xfffe);
  EXPECT_EQ(LoadBigEndian(bytes), 0xfffeu);
  EXPECT_EQ(LoadBigEndian(""), 0u);
}

TEST(BigEndianTest, SignedLoadsExtendTheTopBit) {
  EXPECT_EQ(LoadBigEndianSigned("\x7f"), 127);
  EXPECT_EQ(LoadBigEndianSigned("\xff"), -1);
  EXPECT_EQ(LoadBigEndianSigned(std::string("\x80\x00", 2)), -32768);
  EXPECT_EQ(LoadBigEndianSigned(std::string("\x00\x80", 2)), 128);
  EXPECT_EQ(LoadBigEndianSigned("\xff\xff\xff\xfe"), -2);
  EXPECT_EQ(LoadBigEndianSigned(std::string("\x80\0\0\0\0\0\0\0", 8)),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(LoadBigEndianSigned(""), 0);
}

}  // namespace
}  // namespace shoal
