// cql_frame: the CQL native protocol v4 frame, without I/O.
//
// This is the bottom of the Cassandra store's protocol layer: the 9-byte frame header
// (encoded and decoded) and an incremental FrameDecoder for the byte stream a server sends.
// What a body holds lives beside it: cql_wire.h (the notations), cql_request.h (the requests
// shoal sends), cql_response.h (the prefixes of every response, AUTHENTICATE, SUPPORTED...),
// cql_result.h (RESULT of every kind), cql_error.h (ERROR and what to do about it) and
// cql_column_type.h (column types). The reference is doc/native_protocol_v4.spec in the
// Apache Cassandra sources; the section numbers (§) are that document's. All integers are
// big-endian.
//
//   offset  size  field
//   0       1     version  bit 7 = direction (0 request, 1 response), bits 0-6 = 4
//   1       1     flags    FrameFlag bits
//   2       2     stream   signed; requests use 0..32767, server events -1
//   4       1     opcode   Opcode below
//   5       4     length   body size, [int]; the spec caps a frame at 256 MiB (§2.5)
//   9       n     body
//
// READY has an empty body, so it has no parser. A body with the compression flag is LZ4
// (cql_compression.h inflates and compresses it); the decoder passes it on as it came, its
// max_body bounding the compressed size. BATCH is not implemented: shoal reads through single
// statements.
//
// Ownership: a FrameDecoder's frames view its buffer until the next Prepare or Feed; parsed
// messages view the body they were parsed from (copy the body to keep a message).
// Thread-safety: FrameDecoder is thread-compatible; everything else is a pure function or a
// value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/frame_splitter.h"
#include "base/status.h"

namespace shoal::store::cassandra {

inline constexpr uint8_t kProtocolVersion = 4;
inline constexpr uint8_t kResponseBit = 0x80;
inline constexpr size_t kFrameHeaderSize = 9;
// kMaxBodyLimit is the spec's own cap (§2.5: "a frame is limited to 256MB").
inline constexpr uint32_t kMaxBodyLimit = 256u << 20;

enum class Opcode : uint8_t {
  kError = 0x00,          // <- [int] code, [string] message, code-specific fields
  kStartup = 0x01,        // -> [string map] options
  kReady = 0x02,          // <- empty
  kAuthenticate = 0x03,   // <- [string] authenticator class
  kOptions = 0x05,        // -> empty
  kSupported = 0x06,      // <- [string multimap]
  kQuery = 0x07,          // -> [long string] query, query parameters
  kResult = 0x08,         // <- [int] kind, kind-specific body
  kPrepare = 0x09,        // -> [long string] query
  kExecute = 0x0A,        // -> [short bytes] id, query parameters
  kRegister = 0x0B,       // -> [string list] event types
  kEvent = 0x0C,          // <- stream -1, [string] type, ...
  kBatch = 0x0D,          // -> batch
  kAuthChallenge = 0x0E,  // <- [bytes] token
  kAuthResponse = 0x0F,   // -> [bytes] token
  kAuthSuccess = 0x10,    // <- [bytes] token
};

// IsOpcode says whether `byte` names an Opcode (0x04 was retired in v2).
bool IsOpcode(uint8_t byte);
// IsResponseOpcode says whether the server sends `op` (ERROR, READY, RESULT, ...).
bool IsResponseOpcode(Opcode op);
// OpcodeName returns "STARTUP", "RESULT", ... for messages and logs.
std::string_view OpcodeName(Opcode op);

// frame_flag: bits of the header's flags byte (§2.2). Others are ignored, as the spec says.
namespace frame_flag {
inline constexpr uint8_t kCompression = 0x01;
inline constexpr uint8_t kTracing = 0x02;
inline constexpr uint8_t kCustomPayload = 0x04;
inline constexpr uint8_t kWarning = 0x08;
}  // namespace frame_flag

struct FrameHeader {
  uint8_t version = kProtocolVersion;  // without the direction bit
  bool response = false;
  uint8_t flags = 0;
  int16_t stream = 0;
  Opcode opcode = Opcode::kOptions;
  uint32_t length = 0;  // body size
};

struct Frame {
  FrameHeader header;
  std::string_view body;
};

// AppendFrameHeader appends the 9 header bytes. REQUIRES: h.length <= INT32_MAX.
void AppendFrameHeader(std::string& out, const FrameHeader& h);
// ParseFrameHeader decodes 9 header bytes without judging them (FrameDecoder does that).
// REQUIRES: bytes.size() >= kFrameHeaderSize.
FrameHeader ParseFrameHeader(std::string_view bytes);

// FrameDecoderOptions: what a FrameDecoder accepts.
struct FrameDecoderOptions {
  // The version fixed by the STARTUP frame (§2.1): every frame must carry it.
  uint8_t version = kProtocolVersion;
  // A client reads responses; a fake server in a test reads requests.
  bool expect_responses = true;
  // Bodies above this are refused. Capped at kMaxBodyLimit.
  uint32_t max_body = kMaxBodyLimit;
};

// FrameRules: FrameDecoderOptions as base/frame_splitter.h asks for them. The 9-byte header
// fixes a frame's size.
struct FrameRules {
  using Frame = cassandra::Frame;
  static constexpr size_t kSizeKnownAt = kFrameHeaderSize;
  // Check refuses a version other than the connection's, the wrong direction, an unknown
  // opcode or one the other side never sends, and a body over max_body.
  Status Check(std::string_view head) const;
  size_t FrameSize(std::string_view head) const;
  Frame Parse(std::string_view whole) const;

  FrameDecoderOptions options;
};

// FrameDecoder turns the byte stream of one connection into frames. Bytes go in straight
// from the socket (Prepare, read into the span, Commit) or by copy (Feed); Next yields whole
// frames in order (the body views the buffer). A frame is refused with InvalidArgument as
// soon as its header shows it is wrong (FrameRules), before its body is buffered. After an
// error the decoder is finished (every later Next returns the same error) and the caller
// drops the connection: the stream cannot be resynchronised. The buffer's sizes and
// lifetime are FrameSplitter's.
class FrameDecoder : public FrameSplitter<FrameRules> {
 public:
  using Options = FrameDecoderOptions;

  FrameDecoder() : FrameDecoder(Options()) {}
  explicit FrameDecoder(Options options);
};

}  // namespace shoal::store::cassandra
