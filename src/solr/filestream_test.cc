#include "solr/filestream.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "base/big_endian.h"

namespace shoal::solr {
namespace {

// Stream frames `file` as Solr does: packets of `packet` bytes, each with its Adler-32 when
// `checksums`, an empty data packet when the length is a multiple of `packet`, then the end.
std::string Stream(const std::string& file, size_t packet, bool checksums) {
  std::string out;
  auto put = [&](std::string_view bytes) {
    char size[4];
    StoreBigEndian32(size, static_cast<uint32_t>(bytes.size()));
    out.append(size, 4);
    if (checksums) {
      char sum[8];
      StoreBigEndian64(sum, adler32_z(adler32_z(0, nullptr, 0),
                                      reinterpret_cast<const Bytef*>(bytes.data()),  // NOLINT
                                      bytes.size()));
      out.append(sum, 8);
    }
    out.append(bytes);
  };
  size_t at = 0;
  for (;;) {
    const std::string_view piece = std::string_view(file).substr(at, packet);
    put(piece);
    at += piece.size();
    if (piece.size() < packet) break;  // Solr stops after a short packet (an empty one too)
  }
  out.append(4, '\0');
  return out;
}

std::string File(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 131) ^ (i >> 8)));
  return s;
}

// Decode feeds `stream` in pieces of `step` bytes and returns the file's bytes.
Result<std::string> Decode(const std::string& stream, bool checksums, size_t step) {
  std::string file;
  FileStreamDecoder d(checksums, [&](std::string_view piece) {
    file.append(piece);
    return Status::Ok();
  });
  for (size_t at = 0; at < stream.size(); at += step) {
    if (Status st = d.Feed(std::string_view(stream).substr(at, step)); !st.ok()) return st;
  }
  if (!d.done()) return Status::Unavailable("not done");
  EXPECT_EQ(d.bytes(), file.size());
  return file;
}

TEST(FileStreamTest, FilesComeBackWholeWhateverThePiecesAndPackets) {
  for (const size_t n : {size_t{0}, size_t{1}, size_t{4096}, size_t{18230}, size_t{70000}}) {
    const std::string file = File(n);
    for (const size_t packet : {size_t{1823}, size_t{4096}, size_t{1} << 20}) {
      for (const bool checksums : {false, true}) {
        for (const size_t step : {size_t{1}, size_t{7}, size_t{65536}}) {
          if (step == 1 && n > 20000) continue;  // byte by byte on the small ones is enough
          Result<std::string> got = Decode(Stream(file, packet, checksums), checksums, step);
          ASSERT_TRUE(got.ok()) << n << "/" << packet << "/" << step << ": "
                                << got.status().ToString();
          EXPECT_EQ(*got, file) << n << "/" << packet << "/" << checksums << "/" << step;
        }
      }
    }
  }
}

TEST(FileStreamTest, AnExactMultipleEndsAtTheEmptyPacket) {
  // 18230 = 10 x 1823: the tenth packet is full, then an empty data packet, then the end.
  const std::string stream = Stream(File(18230), 1823, true);
  std::string file;
  FileStreamDecoder d(true, [&](std::string_view piece) {
    file.append(piece);
    return Status::Ok();
  });
  ASSERT_TRUE(d.Feed(stream).ok());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(file, File(18230));
  EXPECT_EQ(d.packets(), 10u);
}

TEST(FileStreamTest, ACorruptedByteFailsItsPacketsChecksum) {
  std::string stream = Stream(File(10000), 4096, true);
  stream[4 + 8 + 4096 + 4 + 8 + 100] ^= 0x01;  // a byte of the second packet
  Result<std::string> got = Decode(stream, true, 512);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("packet 2"), std::string::npos) << got.status().ToString();
  EXPECT_NE(got.status().message().find("Adler-32"), std::string::npos);
}

TEST(FileStreamTest, BrokenFramingIsRefused) {
  std::string huge(4, '\0');
  StoreBigEndian32(huge.data(), kMaxPacket + 1);
  EXPECT_FALSE(Decode(huge + std::string(100, 'x'), false, 64).ok());
  std::string negative(4, '\xff');
  EXPECT_FALSE(Decode(negative, false, 4).ok());
  // A checksum with its top bits set is not an Adler-32.
  std::string top = Stream("abc", 4096, true);
  top[4] = 1;
  EXPECT_FALSE(Decode(top, true, 3).ok());
  // A stream that stops before its end marker is not done.
  const std::string cut = Stream(File(5000), 4096, false);
  EXPECT_FALSE(Decode(cut.substr(0, cut.size() - 4), false, 100).ok());
}

TEST(FileStreamTest, TheSinksErrorStopsTheStream) {
  const std::string stream = Stream(File(9000), 4096, false);
  int calls = 0;
  FileStreamDecoder d(false, [&](std::string_view) {
    ++calls;
    return Status::ResourceExhausted("disk full");
  });
  const Status st = d.Feed(stream);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(d.Feed(stream).ok());  // ignored after the error
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(d.done());
}

}  // namespace
}  // namespace shoal::solr
