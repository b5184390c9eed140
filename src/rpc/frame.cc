#include "rpc/frame.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#include "base/big_endian.h"
#include "base/name_table.h"

namespace shoal::rpc {

std::string_view FrameTypeName(FrameType type) {
  // Indexed by the type byte; 0 is not a type.
  static constexpr std::string_view kNames[] = {"?",       "CALL",  "REPLY",     "PING",
                                                "PONG",    "HELLO", "CHALLENGE", "AUTH",
                                                "AUTH_OK", "ERROR", "FAIL"};
  static_assert(std::size(kNames) == static_cast<size_t>(FrameType::kFail) + 1,
                "one name per FrameType");
  return NameAt(kNames, type, "?");
}

Status AppendFrameHeader(std::string& out, FrameType type, uint8_t method, uint64_t id,
                         size_t payload_size) {
  if (payload_size > kMaxPayload) {
    return Status::ResourceExhausted("frame payload of " + std::to_string(payload_size) +
                                     " bytes does not fit a frame's length field");
  }
  char header[kFrameHeaderSize];
  StoreBigEndian32(header, static_cast<uint32_t>(payload_size) + kMinFrameLength);
  header[4] = static_cast<char>(type);
  header[5] = static_cast<char>(method);
  StoreBigEndian64(header + 6, id);
  out.append(header, sizeof(header));
  return Status::Ok();
}

Status AppendFrame(std::string& out, FrameType type, uint8_t method, uint64_t id,
                   std::string_view payload) {
  Status st = AppendFrameHeader(out, type, method, id, payload.size());
  if (st.ok()) out.append(payload);
  return st;
}

Status FrameRules::Check(std::string_view head) const {
  if (head.size() < 4) return Status();
  const uint32_t length = LoadBigEndian32(head.data());
  if (length > max_frame) {
    return Status::InvalidArgument("frame length " + std::to_string(length) +
                                   " is over the limit of " + std::to_string(max_frame));
  }
  if (length < kMinFrameLength) {
    return Status::InvalidArgument("frame length " + std::to_string(length) +
                                   " is too short for a frame header (needs at least 10)");
  }
  if (head.size() < 5) return Status();
  const auto type = static_cast<uint8_t>(head[4]);
  if (!IsFrameType(type)) {
    return Status::InvalidArgument("unknown frame type " + std::to_string(type));
  }
  return Status();
}

size_t FrameRules::FrameSize(std::string_view head) const {
  return 4 + size_t{LoadBigEndian32(head.data())};
}

FrameDecoder::FrameDecoder(uint32_t max_frame)
    : FrameSplitter(FrameRules{.max_frame = std::max(max_frame, kMinFrameLength)}) {}

void FrameDecoder::set_max_frame(uint32_t max_frame) {
  mutable_rules().max_frame = std::max(max_frame, kMinFrameLength);
}

Frame FrameRules::Parse(std::string_view whole) const {
  Frame frame;
  frame.type = static_cast<FrameType>(whole[4]);
  frame.method = static_cast<uint8_t>(whole[5]);
  frame.id = LoadBigEndian64(whole.data() + 6);
  frame.payload = whole.substr(kFrameHeaderSize);
  return frame;
}

}  // namespace shoal::rpc
