#include "rpc/frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <limits>

#include "base/big_endian.h"
#include "base/name_table.h"

namespace shoal::rpc {

std::string_view FrameTypeName(FrameType type) {
  // Indexed by the type byte; 0 is not a type.
  static constexpr std::string_view kNames[] = {"?",     "CALL",      "REPLY", "PING",    "PONG",
                                                "HELLO", "CHALLENGE", "AUTH",  "AUTH_OK", "ERROR"};
  static_assert(std::size(kNames) == static_cast<size_t>(FrameType::kError) + 1,
                "one name per FrameType");
  return NameAt(kNames, type, "?");
}

void AppendFrameHeader(std::string& out, FrameType type, uint8_t method, uint64_t id,
                       size_t payload_size) {
  assert(payload_size <= std::numeric_limits<uint32_t>::max() - kMinFrameLength);
  char header[kFrameHeaderSize];
  StoreBigEndian32(header, static_cast<uint32_t>(payload_size) + kMinFrameLength);
  header[4] = static_cast<char>(type);
  header[5] = static_cast<char>(method);
  StoreBigEndian64(header + 6, id);
  out.append(header, sizeof(header));
}

void AppendFrame(std::string& out, FrameType type, uint8_t method, uint64_t id,
                 std::string_view payload) {
  AppendFrameHeader(out, type, method, id, payload.size());
  out.append(payload);
}

FrameDecoder::FrameDecoder(uint32_t max_frame) : max_frame_(std::max(max_frame, kMinFrameLength)) {}

std::span<char> FrameDecoder::Prepare(size_t min) {
  size_t want = min;
  // With the length field in, make room for the whole frame (read_buffer.h says why).
  if (buf_.size() >= 4 && error_.ok() && Check()) {
    const size_t whole = 4 + size_t{LoadBigEndian32(buf_.data().data())};
    if (whole > buf_.size()) want = std::max(want, whole - buf_.size());
  }
  return buf_.Reserve(want);
}

void FrameDecoder::Commit(size_t n) { buf_.Commit(n); }

void FrameDecoder::Feed(std::string_view bytes) {
  if (bytes.empty()) return;
  std::span<char> space = Prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  Commit(bytes.size());
}

bool FrameDecoder::Check() {
  const std::string_view in = buf_.data();
  const size_t have = in.size();
  if (have < 4) return true;
  const uint32_t length = LoadBigEndian32(in.data());
  if (length > max_frame_) {
    error_ = Status::InvalidArgument("frame length " + std::to_string(length) +
                                     " is over the limit of " + std::to_string(max_frame_));
    return false;
  }
  if (length < kMinFrameLength) {
    error_ = Status::InvalidArgument("frame length " + std::to_string(length) +
                                     " is too short for a frame header (needs at least 10)");
    return false;
  }
  if (have < 5) return true;
  const auto type = static_cast<uint8_t>(in[4]);
  if (!IsFrameType(type)) {
    error_ = Status::InvalidArgument("unknown frame type " + std::to_string(type));
    return false;
  }
  return true;
}

Result<std::optional<Frame>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (!Check()) return error_;
  const size_t have = buf_.size();
  if (have < kFrameHeaderSize) return std::optional<Frame>();
  const char* p = buf_.data().data();
  const size_t whole = 4 + size_t{LoadBigEndian32(p)};
  if (have < whole) return std::optional<Frame>();
  Frame frame;
  frame.type = static_cast<FrameType>(p[4]);
  frame.method = static_cast<uint8_t>(p[5]);
  frame.id = LoadBigEndian64(p + 6);
  frame.payload = std::string_view(p + kFrameHeaderSize, whole - kFrameHeaderSize);
  buf_.Consume(whole);
  return std::optional<Frame>(frame);
}

}  // namespace shoal::rpc
