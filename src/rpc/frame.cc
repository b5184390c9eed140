#include "rpc/frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace shoal::rpc {
namespace {

void PutU32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

void PutU64(char* p, uint64_t v) {
  PutU32(p, static_cast<uint32_t>(v >> 32));
  PutU32(p + 4, static_cast<uint32_t>(v));
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

uint64_t GetU64(const char* p) { return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4); }

}  // namespace

std::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kCall:
      return "CALL";
    case FrameType::kReply:
      return "REPLY";
    case FrameType::kPing:
      return "PING";
    case FrameType::kPong:
      return "PONG";
    case FrameType::kHello:
      return "HELLO";
    case FrameType::kChallenge:
      return "CHALLENGE";
    case FrameType::kAuth:
      return "AUTH";
    case FrameType::kAuthOk:
      return "AUTH_OK";
    case FrameType::kError:
      return "ERROR";
  }
  return "?";
}

void AppendFrameHeader(std::string& out, FrameType type, uint8_t method, uint64_t id,
                       size_t payload_size) {
  assert(payload_size <= std::numeric_limits<uint32_t>::max() - kMinFrameLength);
  char header[kFrameHeaderSize];
  PutU32(header, static_cast<uint32_t>(payload_size) + kMinFrameLength);
  header[4] = static_cast<char>(type);
  header[5] = static_cast<char>(method);
  PutU64(header + 6, id);
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
    const size_t whole = 4 + size_t{GetU32(buf_.data().data())};
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
  const uint32_t length = GetU32(in.data());
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
  const size_t whole = 4 + size_t{GetU32(p)};
  if (have < whole) return std::optional<Frame>();
  Frame frame;
  frame.type = static_cast<FrameType>(p[4]);
  frame.method = static_cast<uint8_t>(p[5]);
  frame.id = GetU64(p + 6);
  frame.payload = std::string_view(p + kFrameHeaderSize, whole - kFrameHeaderSize);
  buf_.Consume(whole);
  return std::optional<Frame>(frame);
}

}  // namespace shoal::rpc
