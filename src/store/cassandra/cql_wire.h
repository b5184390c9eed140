// cql_wire: the notations of the CQL native protocol v4 (§3 of native_protocol_v4.spec):
// [short], [int], [long], [string], [long string], [short bytes], [bytes], [string list] and
// [value], read from a body by a bounds-checked WireReader and appended by the writers below.
// All integers are big-endian. Every other cql_* file reads and writes through these, so a
// truncated body or a lying length is refused here, never over-read.
//
// Also the two errors every parser returns (TruncatedError, MalformedError), so that all
// messages read "cql: truncated ..." / "cql: malformed ...".
//
// Ownership: WireReader views its input (the caller keeps it alive); the writers append to a
// caller's string. Thread-safety: WireReader is a value type; the rest are pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::store::cassandra {

// The longest [string] / [short bytes] and [long string] / [bytes] the notations can carry.
inline constexpr size_t kMaxShortLength = std::numeric_limits<uint16_t>::max();
inline constexpr size_t kMaxIntLength = static_cast<size_t>(std::numeric_limits<int32_t>::max());

// WireReader reads the notations from a body; each method returns false, consuming nothing,
// when the bytes are not all there (or a length is negative where it must not be).
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}

  size_t remaining() const { return in_.size(); }
  std::string_view rest() const { return in_; }

  bool Byte(uint8_t* v);
  bool Short(uint16_t* v);  // [short], unsigned
  bool Int(int32_t* v);     // [int]
  bool Long(int64_t* v);    // [long]
  bool Raw(size_t n, std::string_view* v);
  bool String(std::string_view* v);      // [string]
  bool LongString(std::string_view* v);  // [long string]
  bool ShortBytes(std::string_view* v);  // [short bytes]
  // Bytes reads [bytes]: a negative length is null (std::nullopt) with nothing after it.
  bool Bytes(std::optional<std::string_view>* v);
  // StringList reads [string list], replacing `v`'s contents.
  bool StringList(std::vector<std::string_view>* v);

 private:
  std::string_view in_;
};

// Big-endian writers for the same notations; the builders and cql_types use them.
void AppendByte(std::string& out, uint8_t v);
void AppendShort(std::string& out, uint16_t v);
void AppendInt(std::string& out, int32_t v);
void AppendLong(std::string& out, int64_t v);
// AppendString writes a [string] (or [short bytes]); false, appending nothing, when `s` is
// longer than kMaxShortLength.
bool AppendString(std::string& out, std::string_view s);
// AppendLongString writes a [long string]; false when `s` is longer than kMaxIntLength.
bool AppendLongString(std::string& out, std::string_view s);

// [value] writers (§3: [bytes] plus the "not set" length -2), e.g. for QueryParameters::values.
void AppendValue(std::string& out, std::string_view bytes);  // REQUIRES: size <= INT32_MAX
void AppendNullValue(std::string& out);                      // length -1
void AppendUnsetValue(std::string& out);                     // length -2: leave untouched

// TruncatedError is the error of every short read: `what` names the message and the field.
Status TruncatedError(std::string_view what);
// MalformedError is the error of a body that is all there but says something impossible.
Status MalformedError(std::string_view what);
// HexText writes `v` as "0x" and `digits` hex digits, for messages.
std::string HexText(unsigned v, int digits);
// AppendUuidText writes a uuid's 16 bytes in the canonical 8-4-4-4-12 lowercase hex form.
// REQUIRES: bytes.size() == 16.
void AppendUuidText(std::string& out, std::string_view bytes);

}  // namespace shoal::store::cassandra
