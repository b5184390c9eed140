#include "store/cassandra/cql_types.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <arpa/inet.h>

#include "base/json.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

// ---------------------------------------------------------------------------------------
// Helpers for rendering.

uint64_t BigEndian(std::string_view b) {
  uint64_t v = 0;
  for (const char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// SignExtend reads 1..8 bytes as a big-endian two's complement integer.
int64_t SignExtend(std::string_view b) {
  const uint64_t v = BigEndian(b);
  const unsigned bits = static_cast<unsigned>(b.size()) * 8;
  if (bits >= 64) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

template <typename T>
void AppendNumber(std::string& out, T v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 32 bytes hold any integer and the shortest form of any double
  out.append(buf, static_cast<size_t>(end - buf));
}

// AppendFloating writes the shortest round-trip form of a float or double (the one for its
// own type: 0.1f is "0.1", not 0.10000000149011612), keeping a ".0" on integral values as
// api's AppendJsonDouble does for SQLite reals; NaN and infinities are null.
template <typename T>
void AppendFloating(std::string& out, T v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

void AppendBase64String(std::string& out, std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto at = [&data](size_t i) { return uint32_t{static_cast<unsigned char>(data[i])}; };
  out.reserve(out.size() + 2 + (data.size() + 2) / 3 * 4);
  out.push_back('"');
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  const size_t tail = data.size() - i;
  if (tail > 0) {
    const uint32_t v = (at(i) << 16) | (tail == 2 ? at(i + 1) << 8 : 0);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(tail == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  out.push_back('"');
}

void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
}

// AppendVarintDigits writes a big-endian two's complement integer of any size (>= 1 byte) in
// decimal, with a '-' when negative.
void AppendVarintDigits(std::string& out, std::string_view b) {
  if (b.size() <= 8) {
    AppendNumber(out, SignExtend(b));
    return;
  }
  const bool negative = (static_cast<unsigned char>(b[0]) & 0x80) != 0;
  // The magnitude as 32-bit limbs, most significant first. Negating a two's complement
  // number is inverting it and adding one; the carry runs from the last byte.
  std::vector<uint32_t> limbs((b.size() + 3) / 4, 0);
  unsigned carry = negative ? 1 : 0;
  for (size_t k = 0; k < b.size(); ++k) {
    const size_t i = b.size() - 1 - k;  // from the least significant byte
    unsigned byte = static_cast<unsigned char>(b[i]);
    if (negative) {
      byte = (~byte & 0xFF) + carry;
      carry = byte >> 8;
      byte &= 0xFF;
    }
    limbs[limbs.size() - 1 - k / 4] |= static_cast<uint32_t>(byte) << (8 * (k % 4));
  }
  // Divide by 10^9 until nothing is left; the remainders are base-10^9 digits, least
  // significant first.
  constexpr uint32_t kBase = 1000000000;
  std::vector<uint32_t> chunks;
  size_t first = 0;  // first non-zero limb
  while (first < limbs.size() && limbs[first] == 0) ++first;
  while (first < limbs.size()) {
    uint64_t rem = 0;
    for (size_t i = first; i < limbs.size(); ++i) {
      const uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<uint32_t>(cur / kBase);
      rem = cur % kBase;
    }
    chunks.push_back(static_cast<uint32_t>(rem));
    while (first < limbs.size() && limbs[first] == 0) ++first;
  }
  if (chunks.empty()) {
    out.push_back('0');
    return;
  }
  if (negative) out.push_back('-');
  AppendNumber(out, chunks.back());
  for (size_t i = chunks.size() - 1; i-- > 0;) {
    char buf[9];
    uint32_t v = chunks[i];
    for (int d = 8; d >= 0; --d) {
      buf[d] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    out.append(buf, 9);
  }
}

// AppendDecimal writes unscaled x 10^-scale exactly.
void AppendDecimal(std::string& out, int32_t scale, std::string_view unscaled) {
  const size_t start = out.size();
  AppendVarintDigits(out, unscaled);
  if (scale == 0) return;
  if (scale < 0 || scale > kMaxPlainDecimalScale) {
    out.push_back('e');
    AppendNumber(out, -static_cast<int64_t>(scale));
    return;
  }
  const size_t digits_at = start + (out[start] == '-' ? 1 : 0);
  const size_t digits = out.size() - digits_at;
  const auto places = static_cast<size_t>(scale);
  if (digits > places) {
    out.insert(out.end() - static_cast<std::ptrdiff_t>(places), '.');
  } else {
    // 0.00ddd: "0." and the zeros that put the digits in the last `places` places.
    out.insert(digits_at, places - digits + 2, '0');
    out[digits_at + 1] = '.';
  }
}

// CivilFromDays converts days since 1970-01-01 to a proleptic Gregorian date, for any day an
// int64 can count. It is the era-based method of H. Hinnant's "chrono-Compatible Low-Level
// Date Algorithms": shift the epoch to 0000-03-01 so that leap days fall at the end of a
// year, split into 400-year eras of 146097 days, then into years and a March-based month.
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;  // days from 0000-03-01 to 1970-01-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<uint64_t>(z - era * 146097);                    // [0, 146096]
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const uint64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const int64_t year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

// AppendPadded writes v with at least `width` digits.
void AppendPadded(std::string& out, uint64_t v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(buf[--n]);
}

// AppendDate writes YYYY-MM-DD; years beyond four digits get a sign (ISO 8601 expanded).
void AppendDate(std::string& out, int64_t days) {
  const CivilDate d = CivilFromDays(days);
  if (d.year < 0) {
    out.push_back('-');
  } else if (d.year > 9999) {
    out.push_back('+');
  }
  const uint64_t abs_year =
      d.year < 0 ? static_cast<uint64_t>(-(d.year + 1)) + 1 : static_cast<uint64_t>(d.year);
  AppendPadded(out, abs_year, 4);
  out.push_back('-');
  AppendPadded(out, d.month, 2);
  out.push_back('-');
  AppendPadded(out, d.day, 2);
}

void AppendTimestamp(std::string& out, int64_t ms) {
  constexpr int64_t kMsPerDay = 86400000;
  // Floor division, so that times before the epoch land on the previous day with a positive
  // time of day; written without days * kMsPerDay, which overflows near INT64_MIN.
  const int64_t rem = ms % kMsPerDay;
  const int64_t days = ms / kMsPerDay - (rem < 0 ? 1 : 0);
  const auto in_day = static_cast<uint64_t>(rem < 0 ? rem + kMsPerDay : rem);
  out.push_back('"');
  AppendDate(out, days);
  out.push_back('T');
  AppendPadded(out, in_day / 3600000, 2);
  out.push_back(':');
  AppendPadded(out, in_day / 60000 % 60, 2);
  out.push_back(':');
  AppendPadded(out, in_day / 1000 % 60, 2);
  out.push_back('.');
  AppendPadded(out, in_day % 1000, 3);
  out.append("Z\"");
}

Status BadCell(const CqlType& type, std::string_view why) {
  return Status::InvalidArgument("cql: malformed " + type.ToString() +
                                 " value: " + std::string(why));
}

Status WrongSize(const CqlType& type, size_t got, std::string_view want) {
  return BadCell(type, std::to_string(got) + " bytes, want " + std::string(want));
}

Status AppendCell(std::string& out, const CqlType& type, std::optional<std::string_view> cell);

// AppendKey writes a map key as a JSON string: string renderings as they are, any other
// JSON text (a number, an array) quoted.
Status AppendKey(std::string& out, const CqlType& type, std::optional<std::string_view> cell) {
  const size_t start = out.size();
  Status s = AppendCell(out, type, cell);
  if (!s.ok()) return s;
  if (out[start] == '"') return Status();
  const std::string text = out.substr(start);
  out.resize(start);
  AppendJsonString(out, text);
  return Status();
}

// AppendCollection renders list/set (elements) and map (pairs) cells.
Status AppendCollection(std::string& out, const CqlType& type, std::string_view bytes) {
  WireReader in(bytes);
  int32_t n = 0;
  if (!in.Int(&n)) return BadCell(type, "truncated count");
  if (n < 0) return BadCell(type, "negative count");
  const bool is_map = type.id() == TypeId::kMap;
  const CqlType first = is_map ? type.key() : type.element();
  const CqlType second = is_map ? type.value() : CqlType();
  out.push_back(is_map ? '{' : '[');
  // Each element takes at least 4 bytes, so the loop ends at the first missing one
  // whatever n claims.
  for (int32_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(',');
    std::optional<std::string_view> a;
    if (!in.Bytes(&a)) return BadCell(type, "truncated at element " + std::to_string(i));
    Status s = is_map ? AppendKey(out, first, a) : AppendCell(out, first, a);
    if (!s.ok()) return s;
    if (!is_map) continue;
    std::optional<std::string_view> b;
    if (!in.Bytes(&b)) return BadCell(type, "truncated at value " + std::to_string(i));
    out.push_back(':');
    s = AppendCell(out, second, b);
    if (!s.ok()) return s;
  }
  if (in.remaining() != 0) return BadCell(type, "bytes after the last element");
  out.push_back(is_map ? '}' : ']');
  return Status();
}

// AppendFields renders tuple (array) and UDT (object) cells: one [bytes] per component; a
// value may stop before the type's last components (§7), which then render as null.
Status AppendFields(std::string& out, const CqlType& type, std::string_view bytes) {
  const bool udt = type.id() == TypeId::kUdt;
  WireReader in(bytes);
  FieldCursor fields = type.fields();
  std::string_view name;
  CqlType field;
  bool first = true;
  out.push_back(udt ? '{' : '[');
  while (fields.Next(&name, &field)) {
    if (!first) out.push_back(',');
    first = false;
    if (udt) {
      AppendJsonString(out, name);
      out.push_back(':');
    }
    std::optional<std::string_view> value;
    if (in.remaining() == 0) {
      out.append("null");
      continue;
    }
    if (!in.Bytes(&value)) return BadCell(type, "truncated field");
    Status s = AppendCell(out, field, value);
    if (!s.ok()) return s;
  }
  if (in.remaining() != 0) return BadCell(type, "more fields than the type has");
  out.push_back(udt ? '}' : ']');
  return Status();
}

Status AppendCell(std::string& out, const CqlType& type, std::optional<std::string_view> cell) {
  if (!cell) {
    out.append("null");
    return Status();
  }
  const std::string_view b = *cell;
  const TypeId id = type.id();
  // An empty value is legal for most non-text types (§6) and means "no value": null, as
  // SQLite's NULL would be. Text and blobs are simply empty.
  if (b.empty() && id != TypeId::kAscii && id != TypeId::kVarchar && id != TypeId::kBlob &&
      id != TypeId::kCustom) {
    out.append("null");
    return Status();
  }
  const auto fixed = [&](size_t n) { return b.size() == n; };
  switch (id) {
    case TypeId::kAscii:
    case TypeId::kVarchar:
      AppendJsonString(out, b);
      return Status();
    case TypeId::kBlob:
    case TypeId::kCustom:
      AppendBase64String(out, b);
      return Status();
    case TypeId::kTinyint:
      if (!fixed(1)) return WrongSize(type, b.size(), "1");
      AppendNumber(out, SignExtend(b));
      return Status();
    case TypeId::kSmallint:
      if (!fixed(2)) return WrongSize(type, b.size(), "2");
      AppendNumber(out, SignExtend(b));
      return Status();
    case TypeId::kInt:
      if (!fixed(4)) return WrongSize(type, b.size(), "4");
      AppendNumber(out, SignExtend(b));
      return Status();
    case TypeId::kBigint:
    case TypeId::kCounter:
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      AppendNumber(out, SignExtend(b));
      return Status();
    case TypeId::kVarint:
      if (b.size() > kMaxVarintBytes) {
        return WrongSize(type, b.size(), "at most " + std::to_string(kMaxVarintBytes));
      }
      AppendVarintDigits(out, b);
      return Status();
    case TypeId::kDecimal: {
      if (b.size() < 5) return WrongSize(type, b.size(), "at least 5");
      if (b.size() - 4 > kMaxVarintBytes) {
        return WrongSize(type, b.size(), "at most " + std::to_string(kMaxVarintBytes + 4));
      }
      AppendDecimal(out, static_cast<int32_t>(SignExtend(b.substr(0, 4))), b.substr(4));
      return Status();
    }
    case TypeId::kBoolean:
      if (!fixed(1)) return WrongSize(type, b.size(), "1");
      out.append(b[0] != 0 ? "true" : "false");
      return Status();
    case TypeId::kFloat:
      if (!fixed(4)) return WrongSize(type, b.size(), "4");
      AppendFloating(out, std::bit_cast<float>(static_cast<uint32_t>(BigEndian(b))));
      return Status();
    case TypeId::kDouble:
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      AppendFloating(out, std::bit_cast<double>(BigEndian(b)));
      return Status();
    case TypeId::kUuid:
    case TypeId::kTimeuuid:
      if (!fixed(16)) return WrongSize(type, b.size(), "16");
      out.push_back('"');
      AppendHex(out, b.substr(0, 4));
      out.push_back('-');
      AppendHex(out, b.substr(4, 2));
      out.push_back('-');
      AppendHex(out, b.substr(6, 2));
      out.push_back('-');
      AppendHex(out, b.substr(8, 2));
      out.push_back('-');
      AppendHex(out, b.substr(10, 6));
      out.push_back('"');
      return Status();
    case TypeId::kTimestamp:
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      AppendTimestamp(out, SignExtend(b));
      return Status();
    case TypeId::kDate: {
      if (!fixed(4)) return WrongSize(type, b.size(), "4");
      // Unsigned days with the epoch at 2^31 (§6.5).
      out.push_back('"');
      AppendDate(out, static_cast<int64_t>(BigEndian(b)) - (int64_t{1} << 31));
      out.push_back('"');
      return Status();
    }
    case TypeId::kTime: {
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      constexpr int64_t kNsPerDay = 86400LL * 1000000000LL;
      const int64_t ns = SignExtend(b);
      if (ns < 0 || ns >= kNsPerDay) return BadCell(type, "not within one day");
      const auto u = static_cast<uint64_t>(ns);
      out.push_back('"');
      AppendPadded(out, u / 3600000000000, 2);
      out.push_back(':');
      AppendPadded(out, u / 60000000000 % 60, 2);
      out.push_back(':');
      AppendPadded(out, u / 1000000000 % 60, 2);
      out.push_back('.');
      AppendPadded(out, u % 1000000000, 9);
      out.push_back('"');
      return Status();
    }
    case TypeId::kInet: {
      if (!fixed(4) && !fixed(16)) return WrongSize(type, b.size(), "4 or 16");
      char text[INET6_ADDRSTRLEN];
      if (inet_ntop(b.size() == 4 ? AF_INET : AF_INET6, b.data(), text, sizeof text) == nullptr) {
        return BadCell(type, "not an address");
      }
      out.push_back('"');
      out.append(text);
      out.push_back('"');
      return Status();
    }
    case TypeId::kList:
    case TypeId::kSet:
    case TypeId::kMap:
      return AppendCollection(out, type, b);
    case TypeId::kTuple:
    case TypeId::kUdt:
      return AppendFields(out, type, b);
  }
  return Status::InvalidArgument("cql: cannot render type " + type.ToString());
}

// ---------------------------------------------------------------------------------------
// Helpers for encoding.

void PutBigEndian(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>(v >> (8 * i)));
}

// PutVarint writes the shortest two's complement big-endian form of v (§6.23).
void PutVarint(std::string& out, int64_t v) {
  size_t n = 8;
  // Drop a leading byte while the next one's top bit still carries the sign.
  while (n > 1) {
    const int64_t top = v >> (8 * (n - 1) - 1);  // the top byte and the next byte's top bit
    if (top != 0 && top != -1) break;
    --n;
  }
  PutBigEndian(out, static_cast<uint64_t>(v), n);
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
    PutBigEndian(out, static_cast<uint64_t>(v), bytes);
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
      PutBigEndian(out, static_cast<uint64_t>(v), 8);
      return Status();
    case TypeId::kVarint:
      PutVarint(out, v);
      return Status();
    case TypeId::kDecimal:
      PutBigEndian(out, 0, 4);  // scale 0
      PutVarint(out, v);
      return Status();
    case TypeId::kDouble:
      PutBigEndian(out, std::bit_cast<uint64_t>(static_cast<double>(v)), 8);
      return Status();
    case TypeId::kFloat:
      PutBigEndian(out, std::bit_cast<uint32_t>(static_cast<float>(v)), 4);
      return Status();
    case TypeId::kBoolean:
      if (v != 0 && v != 1) return OutOfRange(v, type);
      out.push_back(static_cast<char>(v));
      return Status();
    case TypeId::kAscii:
    case TypeId::kVarchar:
      AppendNumber(out, v);
      return Status();
    default:
      return Refuse("an integer", type);
  }
}

Status EncodeDouble(std::string& out, const CqlType& type, double v) {
  switch (type.id()) {
    case TypeId::kDouble:
      PutBigEndian(out, std::bit_cast<uint64_t>(v), 8);
      return Status();
    case TypeId::kFloat:
      if (std::isfinite(v) &&
          std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
        return Status::InvalidArgument("cql: " + std::to_string(v) + " is out of range for float");
      }
      PutBigEndian(out, std::bit_cast<uint32_t>(static_cast<float>(v)), 4);
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
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return bad();
      return EncodeInt(out, type, v);
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

Status AppendCellJson(std::string& out, const CqlType& type, std::optional<std::string_view> cell) {
  const size_t start = out.size();
  Status s = AppendCell(out, type, cell);
  if (!s.ok()) out.resize(start);
  return s;
}

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
  for (size_t i = 0; i < 4; ++i) out[start + i] = static_cast<char>(length >> (8 * (3 - i)));
  return Status();
}

}  // namespace shoal::store::cassandra
