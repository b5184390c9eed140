// Big-endian integers in byte buffers: the wire order of the CQL protocol and of our rpc frames.
//
// Load* read from a pointer that has at least the type's size readable; Store* write that many
// bytes; Append* push them onto a string. LoadBigEndian reads a field of 0..8 bytes whose size
// is only known at run time (a CQL cell), as an unsigned value. No alignment is assumed.
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

inline uint16_t LoadBigEndian16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((unsigned{u[0]} << 8) | unsigned{u[1]});
}

inline uint32_t LoadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

inline uint64_t LoadBigEndian64(const char* p) {
  return (uint64_t{LoadBigEndian32(p)} << 32) | LoadBigEndian32(p + 4);
}

// LoadBigEndian reads all of `bytes` (at most 8) as one unsigned big-endian number; "" is 0.
inline uint64_t LoadBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// LoadBigEndianSigned reads 1..8 bytes as a big-endian two's complement integer (a CQL
// tinyint, smallint, int or bigint cell, or a short varint): 0xff is -1, 0x7f is 127.
inline int64_t LoadBigEndianSigned(std::string_view bytes) {
  const uint64_t v = LoadBigEndian(bytes);
  const size_t bits = bytes.size() * 8;
  if (bits == 0 || bits >= 64) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

inline void StoreBigEndian16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

inline void StoreBigEndian32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

inline void StoreBigEndian64(char* p, uint64_t v) {
  StoreBigEndian32(p, static_cast<uint32_t>(v >> 32));
  StoreBigEndian32(p + 4, static_cast<uint32_t>(v));
}

inline void AppendBigEndian16(std::string& out, uint16_t v) {
  char b[2];
  StoreBigEndian16(b, v);
  out.append(b, 2);
}

inline void AppendBigEndian32(std::string& out, uint32_t v) {
  char b[4];
  StoreBigEndian32(b, v);
  out.append(b, 4);
}

inline void AppendBigEndian64(std::string& out, uint64_t v) {
  char b[8];
  StoreBigEndian64(b, v);
  out.append(b, 8);
}

// AppendBigEndian appends the low `bytes` bytes of `v` (REQUIRES: bytes <= 8), most
// significant first.
inline void AppendBigEndian(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace shoal
