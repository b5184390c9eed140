// cql_bound_value: shoal values encoded as bind-marker [value]s (cql_types.h's
// AppendBoundValue).
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include <arpa/inet.h>

#include "base/big_endian.h"
#include "base/iso8601.h"
#include "base/numbers.h"
#include "store/cassandra/cql_types.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

// PutVarint writes the shortest two's complement big-endian form of v (§6.23).
void PutVarint(std::string& out, int64_t v) {
  size_t n = 8;
  // Drop a leading byte while the next one's top bit still carries the sign.
  while (n > 1) {
    const int64_t top = v >> (8 * (n - 1) - 1);  // the top byte and the next byte's top bit
    if (top != 0 && top != -1) break;
    --n;
  }
  AppendBigEndian(out, static_cast<uint64_t>(v), n);
}

Status Refuse(std::string_view what, const CqlType& type) {
  return Status::InvalidArgument("cql: cannot bind " + std::string(what) + " to a " +
                                 type.ToString() + " parameter");
}

Status OutOfRange(int64_t v, const CqlType& type) {
  return Status::InvalidArgument("cql: " + std::to_string(v) + " is out of range for " +
                                 type.ToString());
}

Status EncodeInt(std::string& out, const CqlType& type, int64_t v) {
  const auto ranged = [&](int64_t lo, int64_t hi, size_t bytes) {
    if (v < lo || v > hi) return OutOfRange(v, type);
    AppendBigEndian(out, static_cast<uint64_t>(v), bytes);
    return Status();
  };
  switch (type.id()) {
    case TypeId::kTinyint:
      return ranged(INT8_MIN, INT8_MAX, 1);
    case TypeId::kSmallint:
      return ranged(INT16_MIN, INT16_MAX, 2);
    case TypeId::kInt:
      return ranged(INT32_MIN, INT32_MAX, 4);
    case TypeId::kBigint:
    case TypeId::kCounter:
    case TypeId::kTimestamp:
      AppendBigEndian(out, static_cast<uint64_t>(v), 8);
      return Status();
    case TypeId::kVarint:
      PutVarint(out, v);
      return Status();
    case TypeId::kDecimal:
      AppendBigEndian(out, 0, 4);  // scale 0
      PutVarint(out, v);
      return Status();
    case TypeId::kDouble:
      AppendBigEndian(out, std::bit_cast<uint64_t>(static_cast<double>(v)), 8);
      return Status();
    case TypeId::kFloat:
      AppendBigEndian(out, std::bit_cast<uint32_t>(static_cast<float>(v)), 4);
      return Status();
    case TypeId::kBoolean:
      if (v != 0 && v != 1) return OutOfRange(v, type);
      out.push_back(static_cast<char>(v));
      return Status();
    case TypeId::kAscii:
    case TypeId::kVarchar:
      shoal::AppendInt(out, v);
      return Status();
    default:
      return Refuse("an integer", type);
  }
}

Status EncodeDouble(std::string& out, const CqlType& type, double v) {
  switch (type.id()) {
    case TypeId::kDouble:
      AppendBigEndian(out, std::bit_cast<uint64_t>(v), 8);
      return Status();
    case TypeId::kFloat:
      if (std::isfinite(v) &&
          std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
        return Status::InvalidArgument("cql: " + std::to_string(v) + " is out of range for float");
      }
      AppendBigEndian(out, std::bit_cast<uint32_t>(static_cast<float>(v)), 4);
      return Status();
    default:
      return Refuse("a real number", type);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ParseUuid accepts exactly the 8-4-4-4-12 hex form, either case.
bool ParseUuid(std::string_view s, std::string& out) {
  if (s.size() != 36) return false;
  char bytes[16];
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
      ++i;
      continue;
    }
    const int hi = HexDigit(s[i]);
    const int lo = HexDigit(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[n++] = static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  out.append(bytes, 16);
  return true;
}

Status EncodeString(std::string& out, const CqlType& type, std::string_view s) {
  const auto bad = [&] {
    return Status::InvalidArgument("cql: '" + std::string(s.substr(0, 64)) + "' is not a " +
                                   type.ToString());
  };
  switch (type.id()) {
    case TypeId::kAscii:
      for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return bad();
      }
      out.append(s);
      return Status();
    case TypeId::kVarchar:
    case TypeId::kBlob:
      out.append(s);
      return Status();
    case TypeId::kUuid:
    case TypeId::kTimeuuid: {
      const size_t start = out.size();
      if (!ParseUuid(s, out)) return bad();
      // A timeuuid must be a version 1 UUID (§6.18): the server would refuse anything else.
      if (type.id() == TypeId::kTimeuuid &&
          (static_cast<unsigned char>(out[start + 6]) >> 4) != 1) {
        return bad();
      }
      return Status();
    }
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kCounter:
    case TypeId::kVarint: {
      const std::optional<int64_t> v = ParseInt64(s);
      if (!v) return bad();
      return EncodeInt(out, type, *v);
    }
    case TypeId::kDouble:
    case TypeId::kFloat: {
      double v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return bad();
      return EncodeDouble(out, type, v);
    }
    case TypeId::kBoolean:
      if (s != "true" && s != "false") return bad();
      out.push_back(s == "true" ? '\1' : '\0');
      return Status();
    case TypeId::kTimestamp: {  // ISO 8601 with a zone (Solr's dates): milliseconds
      const std::optional<int64_t> ms = ParseIsoMillis(s);
      if (!ms) return bad();
      AppendBigEndian(out, static_cast<uint64_t>(*ms), 8);
      return Status();
    }
    case TypeId::kDate: {  // a day, or an instant at its midnight UTC: days, 2^31 at the epoch
      const std::optional<int64_t> ms = ParseIsoMillis(s);
      if (!ms || *ms % kMillisPerDay != 0) return bad();  // a time of day would be lost
      AppendBigEndian(out, static_cast<uint32_t>(*ms / kMillisPerDay + (int64_t{1} << 31)), 4);
      return Status();
    }
    case TypeId::kInet: {
      const std::string text(s);  // inet_pton wants a NUL-terminated string
      unsigned char addr[16];
      if (inet_pton(AF_INET, text.c_str(), addr) == 1) {
        out.append(reinterpret_cast<const char*>(addr), 4);
      } else if (inet_pton(AF_INET6, text.c_str(), addr) == 1) {
        out.append(reinterpret_cast<const char*>(addr), 16);
      } else {
        return bad();
      }
      return Status();
    }
    default:
      return Refuse("a string", type);
  }
}

}  // namespace

Status AppendBoundValue(std::string& out, const CqlType& type, const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) {
    AppendNullValue(out);
    return Status();
  }
  const size_t start = out.size();
  AppendInt(out, 0);  // the length, patched below
  Status s;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    s = EncodeInt(out, type, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    s = EncodeDouble(out, type, *d);
  } else if (const auto* str = std::get_if<std::string>(&value)) {
    s = EncodeString(out, type, *str);
  } else if (const auto* blob = std::get_if<Blob>(&value)) {
    if (type.id() == TypeId::kBlob || type.id() == TypeId::kCustom) {
      out.append(blob->bytes);
    } else {
      s = Refuse("a blob", type);
    }
  } else {
    s = Refuse("a JSON value", type);  // a result-only alternative (store.h)
  }
  const size_t length = out.size() - start - 4;
  if (s.ok() && length > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    s = Status::InvalidArgument("cql: bound value too long");
  }
  if (!s.ok()) {
    out.resize(start);
    return s;
  }
  StoreBigEndian32(out.data() + start, static_cast<uint32_t>(length));
  return Status();
}

}  // namespace shoal::store::cassandra
