// cql_compression: see cql_compression.h.
#include "store/cassandra/cql_compression.h"

#include <cstdint>
#include <limits>
#include <string_view>

#include <lz4.h>

#include "base/big_endian.h"

namespace shoal::store::cassandra {

namespace {

constexpr size_t kLengthPrefix = 4;
constexpr uint64_t kMaxRatio = 255;

}  // namespace

Result<Frame> InflateFrame(const Frame& frame, uint32_t max_body, std::string& scratch) {
  if (!(frame.header.flags & frame_flag::kCompression)) return frame;
  const std::string what = "cql: compressed " + std::string(OpcodeName(frame.header.opcode));
  if (frame.body.size() < kLengthPrefix) {
    return Status::InvalidArgument(what + " body too short for its length");
  }
  const uint32_t length = LoadBigEndian32(frame.body.data());
  // A negative [int] reads as > INT32_MAX here, so one comparison refuses both.
  if (length > max_body || length > static_cast<uint32_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument(what + " body claims " + std::to_string(length) +
                                   " bytes uncompressed, above the limit of " +
                                   std::to_string(max_body));
  }
  const std::string_view block = frame.body.substr(kLengthPrefix);
  if (block.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument(what + " body too large");
  }
  // LZ4 writes at most about 255 bytes per byte of its block (a match's length grows by 255 per
  // extra byte): a claim beyond that is refused before the scratch buffer is sized (and
  // zeroed) for it, so a short body cannot make the client allocate up to max_body.
  if (length > kMaxRatio * block.size() + kMaxRatio) {
    return Status::InvalidArgument(what + " body claims " + std::to_string(length) +
                                   " bytes uncompressed from " + std::to_string(block.size()) +
                                   ", more than LZ4 can make of them");
  }
  scratch.resize(length);
  int got = 0;
  if (length == 0) {
    // LZ4 encodes an empty input as one zero byte; accept that or nothing.
    got = (block.empty() || (block.size() == 1 && block[0] == 0)) ? 0 : -1;
  } else {
    got = LZ4_decompress_safe(block.data(), scratch.data(), static_cast<int>(block.size()),
                              static_cast<int>(length));
  }
  if (got < 0 || static_cast<uint32_t>(got) != length) {
    scratch.clear();
    return Status::InvalidArgument(what + " body does not decompress to its stated " +
                                   std::to_string(length) + " bytes");
  }
  Frame out = frame;
  out.header.flags = static_cast<uint8_t>(frame.header.flags & ~frame_flag::kCompression);
  out.header.length = length;
  out.body = std::string_view(scratch.data(), length);
  return out;
}

bool CompressFrameBody(std::string& out, size_t frame_start, size_t threshold) {
  if (out.size() < frame_start + kFrameHeaderSize) return false;
  const size_t body_start = frame_start + kFrameHeaderSize;
  const size_t body_size = out.size() - body_start;
  if (body_size < threshold || body_size == 0 ||
      body_size > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
    return false;
  }
  const int bound = LZ4_compressBound(static_cast<int>(body_size));
  std::string packed(kLengthPrefix + static_cast<size_t>(bound), '\0');
  StoreBigEndian32(packed.data(), static_cast<uint32_t>(body_size));
  const int n = LZ4_compress_default(out.data() + body_start, packed.data() + kLengthPrefix,
                                     static_cast<int>(body_size), bound);
  if (n <= 0 || kLengthPrefix + static_cast<size_t>(n) >= body_size) return false;
  packed.resize(kLengthPrefix + static_cast<size_t>(n));
  FrameHeader h = ParseFrameHeader(std::string_view(out).substr(frame_start, kFrameHeaderSize));
  h.flags |= frame_flag::kCompression;
  h.length = static_cast<uint32_t>(packed.size());
  out.resize(frame_start);
  AppendFrameHeader(out, h);
  out += packed;
  return true;
}

}  // namespace shoal::store::cassandra
