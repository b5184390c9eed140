// cql_cell_json: cells of a Rows result rendered as JSON (cql_types.h's AppendCellJson).
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <arpa/inet.h>

#include "base/base64.h"
#include "base/big_endian.h"
#include "base/json.h"
#include "base/numbers.h"
#include "store/cassandra/cql_types.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

// AppendVarintDigits writes a big-endian two's complement integer of any size (>= 1 byte) in
// decimal, with a '-' when negative.
void AppendVarintDigits(std::string& out, std::string_view b) {
  if (b.size() <= 8) {
    shoal::AppendInt(out, LoadBigEndianSigned(b));
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
  shoal::AppendUint(out, chunks.back());
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
    shoal::AppendInt(out, -static_cast<int64_t>(scale));
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

// AppendTimeOfDay writes HH:MM:SS.fraction for `ticks` since midnight, `digits` fractional
// digits to a second (3: milliseconds, 9: nanoseconds). REQUIRES: ticks within one day.
void AppendTimeOfDay(std::string& out, uint64_t ticks, int digits) {
  uint64_t per_second = 1;
  for (int i = 0; i < digits; ++i) per_second *= 10;
  const uint64_t seconds = ticks / per_second;
  AppendPadded(out, seconds / 3600, 2);
  out.push_back(':');
  AppendPadded(out, seconds / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(out, seconds % 60, 2);
  out.push_back('.');
  AppendPadded(out, ticks % per_second, digits);
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
  AppendTimeOfDay(out, in_day, 3);
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
      out.push_back('"');
      AppendBase64(out, b);
      out.push_back('"');
      return Status();
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kCounter: {
      const size_t width = IntegerSize(id);
      if (!fixed(width)) return WrongSize(type, b.size(), std::to_string(width));
      shoal::AppendInt(out, LoadBigEndianSigned(b));
      return Status();
    }
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
      AppendDecimal(out, static_cast<int32_t>(LoadBigEndianSigned(b.substr(0, 4))), b.substr(4));
      return Status();
    }
    case TypeId::kBoolean:
      if (!fixed(1)) return WrongSize(type, b.size(), "1");
      out.append(b[0] != 0 ? "true" : "false");
      return Status();
    case TypeId::kFloat:
      if (!fixed(4)) return WrongSize(type, b.size(), "4");
      AppendJsonFloat(out, std::bit_cast<float>(static_cast<uint32_t>(LoadBigEndian(b))));
      return Status();
    case TypeId::kDouble:
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      AppendJsonDouble(out, std::bit_cast<double>(LoadBigEndian(b)));
      return Status();
    case TypeId::kUuid:
    case TypeId::kTimeuuid:
      if (!fixed(16)) return WrongSize(type, b.size(), "16");
      out.push_back('"');
      AppendUuidText(out, b.substr(0, 16));
      out.push_back('"');
      return Status();
    case TypeId::kTimestamp:
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      AppendTimestamp(out, LoadBigEndianSigned(b));
      return Status();
    case TypeId::kDate: {
      if (!fixed(4)) return WrongSize(type, b.size(), "4");
      // Unsigned days with the epoch at 2^31 (§6.5).
      out.push_back('"');
      AppendDate(out, static_cast<int64_t>(LoadBigEndian(b)) - (int64_t{1} << 31));
      out.push_back('"');
      return Status();
    }
    case TypeId::kTime: {
      if (!fixed(8)) return WrongSize(type, b.size(), "8");
      constexpr int64_t kNsPerDay = 86400LL * 1000000000LL;
      const int64_t ns = LoadBigEndianSigned(b);
      if (ns < 0 || ns >= kNsPerDay) return BadCell(type, "not within one day");
      const auto u = static_cast<uint64_t>(ns);
      out.push_back('"');
      AppendTimeOfDay(out, u, 9);
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

}  // namespace

Status AppendCellJson(std::string& out, const CqlType& type, std::optional<std::string_view> cell) {
  const size_t start = out.size();
  Status s = AppendCell(out, type, cell);
  if (!s.ok()) out.resize(start);
  return s;
}

}  // namespace shoal::store::cassandra
