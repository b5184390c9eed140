// cql_frame: see cql_frame.h.
#include "store/cassandra/cql_frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "base/big_endian.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

// ---------------------------------------------------------------------------------------
// Opcodes and headers.

bool IsOpcode(uint8_t byte) { return byte <= 0x10 && byte != 0x04; }

namespace {

// OpcodeInfo: an opcode's name, and whether the server sends it (§2.4).
struct OpcodeInfo {
  Opcode op;
  std::string_view name;
  bool response;
};

constexpr OpcodeInfo kOpcodes[] = {
    {Opcode::kError, "ERROR", true},
    {Opcode::kStartup, "STARTUP", false},
    {Opcode::kReady, "READY", true},
    {Opcode::kAuthenticate, "AUTHENTICATE", true},
    {Opcode::kOptions, "OPTIONS", false},
    {Opcode::kSupported, "SUPPORTED", true},
    {Opcode::kQuery, "QUERY", false},
    {Opcode::kResult, "RESULT", true},
    {Opcode::kPrepare, "PREPARE", false},
    {Opcode::kExecute, "EXECUTE", false},
    {Opcode::kRegister, "REGISTER", false},
    {Opcode::kEvent, "EVENT", true},
    {Opcode::kBatch, "BATCH", false},
    {Opcode::kAuthChallenge, "AUTH_CHALLENGE", true},
    {Opcode::kAuthResponse, "AUTH_RESPONSE", false},
    {Opcode::kAuthSuccess, "AUTH_SUCCESS", true},
};

const OpcodeInfo* FindOpcode(Opcode op) {
  for (const OpcodeInfo& info : kOpcodes) {
    if (info.op == op) return &info;
  }
  return nullptr;
}

}  // namespace

bool IsResponseOpcode(Opcode op) {
  const OpcodeInfo* info = FindOpcode(op);
  return info != nullptr && info->response;
}

std::string_view OpcodeName(Opcode op) {
  const OpcodeInfo* info = FindOpcode(op);
  return info != nullptr ? info->name : "?";
}

void AppendFrameHeader(std::string& out, const FrameHeader& h) {
  assert(h.length <= kMaxIntLength);
  char b[kFrameHeaderSize];
  b[0] = static_cast<char>((h.version & 0x7F) | (h.response ? kResponseBit : 0));
  b[1] = static_cast<char>(h.flags);
  b[2] = static_cast<char>(static_cast<uint16_t>(h.stream) >> 8);
  b[3] = static_cast<char>(h.stream);
  b[4] = static_cast<char>(h.opcode);
  StoreBigEndian32(b + 5, h.length);
  out.append(b, sizeof b);
}

FrameHeader ParseFrameHeader(std::string_view bytes) {
  assert(bytes.size() >= kFrameHeaderSize);
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  FrameHeader h;
  h.version = u[0] & 0x7F;
  h.response = (u[0] & kResponseBit) != 0;
  h.flags = u[1];
  h.stream = static_cast<int16_t>(LoadBigEndian16(bytes.data() + 2));
  h.opcode = static_cast<Opcode>(u[4]);
  h.length = LoadBigEndian32(bytes.data() + 5);
  return h;
}

// ---------------------------------------------------------------------------------------
// FrameDecoder.

FrameDecoder::FrameDecoder(Options options) : options_(options) {
  options_.max_body = std::min(options_.max_body, kMaxBodyLimit);
}

bool FrameDecoder::Check() {
  const size_t have = buf_.size();
  const char* p = buf_.data().data();
  if (have < 1) return true;
  const auto version = static_cast<uint8_t>(p[0]);
  const bool response = (version & kResponseBit) != 0;
  if (response != options_.expect_responses) {
    error_ = Status::InvalidArgument(std::string("cql: a ") + (response ? "response" : "request") +
                                     " frame (version byte " + HexText(version, 2) + ") where a " +
                                     (options_.expect_responses ? "response" : "request") +
                                     " is expected");
    return false;
  }
  if ((version & 0x7F) != options_.version) {
    error_ = Status::InvalidArgument(
        "cql: frame of protocol version " + std::to_string(version & 0x7F) + " on a version " +
        std::to_string(options_.version) + " connection (does the server speak v" +
        std::to_string(options_.version) + "?)");
    return false;
  }
  if (have < 5) return true;
  const auto op = static_cast<uint8_t>(p[4]);
  if (!IsOpcode(op)) {
    error_ = Status::InvalidArgument("cql: unknown opcode " + HexText(op, 2));
    return false;
  }
  if (IsResponseOpcode(static_cast<Opcode>(op)) != options_.expect_responses) {
    error_ =
        Status::InvalidArgument("cql: opcode " + std::string(OpcodeName(static_cast<Opcode>(op))) +
                                " is a " + (options_.expect_responses ? "request" : "response") +
                                ", not a " + (options_.expect_responses ? "response" : "request"));
    return false;
  }
  if (have < kFrameHeaderSize) return true;
  const uint32_t length = LoadBigEndian32(p + 5);
  if (length > kMaxIntLength) {
    error_ = Status::InvalidArgument("cql: negative frame body length");
    return false;
  }
  if (length > options_.max_body) {
    error_ =
        Status::InvalidArgument("cql: frame body of " + std::to_string(length) +
                                " bytes exceeds the limit of " + std::to_string(options_.max_body));
    return false;
  }
  return true;
}

std::span<char> FrameDecoder::Prepare(size_t min) {
  size_t want = min;
  // With the header in, make room for the whole frame (base/read_buffer.h says why).
  if (buf_.size() >= kFrameHeaderSize && error_.ok() && Check()) {
    const size_t whole = kFrameHeaderSize + size_t{LoadBigEndian32(buf_.data().data() + 5)};
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

Result<std::optional<Frame>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (!Check()) return error_;
  const size_t have = buf_.size();
  if (have < kFrameHeaderSize) return std::optional<Frame>();
  const char* p = buf_.data().data();
  Frame frame;
  frame.header = ParseFrameHeader(std::string_view(p, kFrameHeaderSize));
  const size_t whole = kFrameHeaderSize + size_t{frame.header.length};
  if (have < whole) return std::optional<Frame>();
  frame.body = std::string_view(p + kFrameHeaderSize, frame.header.length);
  buf_.Consume(whole);
  return std::optional<Frame>(frame);
}

}  // namespace shoal::store::cassandra
