// rpc frames: the wire format of peer connections, and an incremental decoder for it.
//
// docs/rpc-format.md is the prose specification; this header and frame.cc are its only code.
// Every frame is a 14-byte header and a payload, integers big-endian:
//
//   offset  size  field
//   0       4     length   bytes after this field: 10 + payload size (so at least 10)
//   4       1     type     FrameType below; any other value is a protocol error
//   5       1     method   CALL: the application's method byte; 0 in every other frame
//   6       8     id       request id (CALL/REPLY, PING/PONG); 0 in the handshake frames
//   14      n     payload  length - 10 bytes, opaque to this layer
//
// A receiver refuses a frame whose length field exceeds its max_frame, is below 10, or whose
// type is unknown, as soon as it has seen the first 5 bytes: it never buffers a frame it
// will refuse.
//
// Ownership: FrameDecoder owns its buffer; a Frame it returns views that buffer (zero copy)
// and stays valid until the next Prepare or Feed. Thread-safety: thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/frame_splitter.h"
#include "base/status.h"

namespace shoal::rpc {

inline constexpr size_t kFrameHeaderSize = 14;
// kMinFrameLength is the smallest valid length field: type, method and id, no payload.
inline constexpr uint32_t kMinFrameLength = 10;

// FrameType: who sends each, and what its payload holds (docs/rpc-format.md, "Frames").
enum class FrameType : uint8_t {
  kCall = 1,       // client -> server: method byte, fresh id, the call's payload
  kReply = 2,      // server -> client: the CALL's id, the reply payload
  kPing = 3,       // client -> server: fresh id, any payload (echoed)
  kPong = 4,       // server -> client: the PING's id and payload
  kHello = 5,      // client -> server, first frame: version byte [+ 32-byte client nonce]
  kChallenge = 6,  // server -> client: 32-byte server nonce
  kAuth = 7,       // client -> server: 32-byte client proof
  kAuthOk = 8,     // server -> client, handshake done: empty, or the 32-byte server proof
  kError = 9,      // server -> client before closing: a reason in UTF-8
  kFail = 10,      // server -> client: the CALL's id, one StatusCode byte: the call failed
};

// IsFrameType says whether `byte` names a FrameType.
inline bool IsFrameType(uint8_t byte) { return byte >= 1 && byte <= 10; }
// FrameTypeName returns "CALL", "REPLY", ... for logs.
std::string_view FrameTypeName(FrameType type);

struct Frame {
  FrameType type = FrameType::kCall;
  uint8_t method = 0;
  uint64_t id = 0;
  std::string_view payload;
};

// kMaxPayload is the largest payload any frame can carry (the length field is a u32).
inline constexpr size_t kMaxPayload = UINT32_MAX - kMinFrameLength;

// AppendFrameHeader appends the 14-byte header of a frame whose payload is `payload_size`
// bytes; the caller appends (or separately writes) the payload. A payload over kMaxPayload
// appends nothing and returns ResourceExhausted (a receiver's max_frame is the tighter limit,
// which callers check first).
Status AppendFrameHeader(std::string& out, FrameType type, uint8_t method, uint64_t id,
                         size_t payload_size);
// AppendFrame appends a whole frame, or nothing (as AppendFrameHeader).
Status AppendFrame(std::string& out, FrameType type, uint8_t method, uint64_t id,
                   std::string_view payload);
inline Status AppendFrame(std::string& out, const Frame& frame) {
  return AppendFrame(out, frame.type, frame.method, frame.id, frame.payload);
}

// FrameRules: what a FrameDecoder accepts, as base/frame_splitter.h asks for it. The length
// field (the first 4 bytes) fixes a frame's size.
struct FrameRules {
  using Frame = rpc::Frame;
  static constexpr size_t kSizeKnownAt = 4;
  // Check refuses a length field over max_frame or under kMinFrameLength, and an unknown type.
  Status Check(std::string_view head) const;
  size_t FrameSize(std::string_view head) const;
  Frame Parse(std::string_view whole) const;

  uint32_t max_frame;
};

// FrameDecoder turns a byte stream into frames. Bytes go in either straight from a socket
// (Prepare, then read into the span, then Commit) or by copy (Feed); Next yields the
// complete frames in order (the payload views the buffer), or InvalidArgument naming what is
// wrong (length over max_frame, length under 10, unknown type). After an error the decoder
// is finished: every later Next returns the same error, and the caller drops the
// connection. The buffer's sizes and lifetime are FrameSplitter's.
class FrameDecoder : public FrameSplitter<FrameRules> {
 public:
  // `max_frame` bounds the length field (so a frame is at most max_frame + 4 bytes).
  explicit FrameDecoder(uint32_t max_frame);
  // set_max_frame changes the bound for the frames not yet begun: a connection starts at the
  // handshake's size (auth::kMaxHandshakeFrame) and is raised to max_frame once ready.
  void set_max_frame(uint32_t max_frame);
};

}  // namespace shoal::rpc
