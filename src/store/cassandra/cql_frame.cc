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

FrameDecoder::FrameDecoder(Options options) : FrameSplitter(FrameRules{.options = options}) {}

Status FrameRules::Check(std::string_view head) const {
  const size_t have = head.size();
  const char* p = head.data();
  if (have < 1) return Status();
  const auto version = static_cast<uint8_t>(p[0]);
  const bool response = (version & kResponseBit) != 0;
  if (response != options.expect_responses) {
    return Status::InvalidArgument(std::string("cql: a ") + (response ? "response" : "request") +
                                   " frame (version byte " + HexText(version, 2) + ") where a " +
                                   (options.expect_responses ? "response" : "request") +
                                   " is expected");
  }
  if ((version & 0x7F) != options.version) {
    return Status::InvalidArgument(
        "cql: frame of protocol version " + std::to_string(version & 0x7F) + " on a version " +
        std::to_string(options.version) + " connection (does the server speak v" +
        std::to_string(options.version) + "?)");
  }
  if (have < 5) return Status();
  const auto op = static_cast<uint8_t>(p[4]);
  if (!IsOpcode(op)) {
    return Status::InvalidArgument("cql: unknown opcode " + HexText(op, 2));
  }
  if (IsResponseOpcode(static_cast<Opcode>(op)) != options.expect_responses) {
    return Status::InvalidArgument(
        "cql: opcode " + std::string(OpcodeName(static_cast<Opcode>(op))) + " is a " +
        (options.expect_responses ? "request" : "response") + ", not a " +
        (options.expect_responses ? "response" : "request"));
  }
  if (have < kFrameHeaderSize) return Status();
  const uint32_t length = LoadBigEndian32(p + 5);
  if (length > kMaxIntLength) {
    return Status::InvalidArgument("cql: negative frame body length");
  }
  const uint32_t max_body = std::min(options.max_body, kMaxBodyLimit);
  if (length > max_body) {
    return Status::InvalidArgument("cql: frame body of " + std::to_string(length) +
                                   " bytes exceeds the limit of " + std::to_string(max_body));
  }
  return Status();
}

size_t FrameRules::FrameSize(std::string_view head) const {
  return kFrameHeaderSize + size_t{LoadBigEndian32(head.data() + 5)};
}

Frame FrameRules::Parse(std::string_view whole) const {
  return Frame{.header = ParseFrameHeader(whole), .body = whole.substr(kFrameHeaderSize)};
}

}  // namespace shoal::store::cassandra
