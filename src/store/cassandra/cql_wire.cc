// cql_wire: see cql_wire.h.
#include "store/cassandra/cql_wire.h"

#include <algorithm>
#include <cassert>

#include "base/big_endian.h"

namespace shoal::store::cassandra {

bool WireReader::Raw(size_t n, std::string_view* v) {
  if (in_.size() < n) return false;
  *v = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

namespace {

// ReadBigEndian takes a sizeof(T)-byte big-endian integer off the front of `in` (signed
// types as two's complement); false, leaving `in` alone, when it is shorter.
template <typename T>
bool ReadBigEndian(std::string_view& in, T* v) {
  if (in.size() < sizeof(T)) return false;
  *v = static_cast<T>(LoadBigEndian(in.substr(0, sizeof(T))));
  in.remove_prefix(sizeof(T));
  return true;
}

}  // namespace

bool WireReader::Byte(uint8_t* v) { return ReadBigEndian(in_, v); }
bool WireReader::Short(uint16_t* v) { return ReadBigEndian(in_, v); }
bool WireReader::Int(int32_t* v) { return ReadBigEndian(in_, v); }
bool WireReader::Long(int64_t* v) { return ReadBigEndian(in_, v); }

bool WireReader::String(std::string_view* v) { return ShortBytes(v); }

bool WireReader::ShortBytes(std::string_view* v) {
  if (in_.size() < 2) return false;
  const size_t n = LoadBigEndian16(in_.data());
  if (in_.size() - 2 < n) return false;
  *v = in_.substr(2, n);
  in_.remove_prefix(2 + n);
  return true;
}

bool WireReader::LongString(std::string_view* v) {
  if (in_.size() < 4) return false;
  const auto n = static_cast<int32_t>(LoadBigEndian32(in_.data()));
  if (n < 0 || in_.size() - 4 < static_cast<size_t>(n)) return false;
  *v = in_.substr(4, static_cast<size_t>(n));
  in_.remove_prefix(4 + static_cast<size_t>(n));
  return true;
}

bool WireReader::Bytes(std::optional<std::string_view>* v) {
  if (in_.size() < 4) return false;
  const auto n = static_cast<int32_t>(LoadBigEndian32(in_.data()));
  if (n < 0) {
    *v = std::nullopt;
    in_.remove_prefix(4);
    return true;
  }
  if (in_.size() - 4 < static_cast<size_t>(n)) return false;
  *v = in_.substr(4, static_cast<size_t>(n));
  in_.remove_prefix(4 + static_cast<size_t>(n));
  return true;
}

bool WireReader::StringList(std::vector<std::string_view>* v) {
  WireReader r = *this;  // consume nothing on failure
  uint16_t n = 0;
  if (!r.Short(&n)) return false;
  v->clear();
  v->reserve(std::min<size_t>(n, r.remaining() / 2));
  for (uint16_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!r.String(&s)) return false;
    v->push_back(s);
  }
  *this = r;
  return true;
}

void AppendByte(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

void AppendShort(std::string& out, uint16_t v) { AppendBigEndian16(out, v); }

void AppendInt(std::string& out, int32_t v) { AppendBigEndian32(out, static_cast<uint32_t>(v)); }

void AppendLong(std::string& out, int64_t v) { AppendBigEndian64(out, static_cast<uint64_t>(v)); }

bool AppendString(std::string& out, std::string_view s) {
  if (s.size() > kMaxShortLength) return false;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out.append(s);
  return true;
}

bool AppendLongString(std::string& out, std::string_view s) {
  if (s.size() > kMaxIntLength) return false;
  AppendInt(out, static_cast<int32_t>(s.size()));
  out.append(s);
  return true;
}

void AppendValue(std::string& out, std::string_view bytes) {
  assert(bytes.size() <= kMaxIntLength);
  AppendInt(out, static_cast<int32_t>(bytes.size()));
  out.append(bytes);
}

void AppendNullValue(std::string& out) { AppendInt(out, -1); }

void AppendUnsetValue(std::string& out) { AppendInt(out, -2); }

Status TruncatedError(std::string_view what) {
  return Status::InvalidArgument("cql: truncated " + std::string(what));
}

Status MalformedError(std::string_view what) {
  return Status::InvalidArgument("cql: malformed " + std::string(what));
}

std::string HexText(unsigned v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s.push_back(kHex[(v >> (4 * i)) & 0xF]);
  return s;
}

void AppendUuidText(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
}

}  // namespace shoal::store::cassandra
