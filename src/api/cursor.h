// Page cursors: the opaque, signed token that names where the next page of a paged endpoint
// (EndpointOptions::page) starts.
//
// A cursor carries the `by` value of the last row of the page before (an int or a string),
// and is signed with HMAC-SHA256 under a CursorKey over a fixed label, the endpoint's route
// (as configured) and that value, so that a client can neither forge nor alter one, nor take
// one endpoint's cursor to another. Layout, before base64url (base/base64.h, no padding):
//   u8 version (1), u8 type (0 int, 1 string), the value (int: 8 bytes big-endian; string:
//   its bytes, at most kMaxCursorValue), then the first 16 bytes of the MAC.
// The MAC is compared in constant time (CRYPTO_memcmp). The page size is not in the cursor: a
// client may change ?limit between pages.
//
// CursorKey: 32 bytes derived from an operator's secret (HMAC-SHA256(secret, fixed label)),
// so that every node of a cluster given the same secret signs alike and cursors survive a
// restart; or a random key made once per process (cursors then die with the process and work
// on this node only).
//
// Thread-safety: pure functions; a CursorKey is immutable.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"

namespace shoal::api {

// kMaxCursorValue bounds a string value carried by a cursor (bytes), so that a cursor fits
// a request line (base64url of it plus 18 bytes is at most 368 characters).
inline constexpr size_t kMaxCursorValue = 256;
// kMaxCursorText: the longest cursor text that can be valid.
inline constexpr size_t kMaxCursorText = (2 + kMaxCursorValue + 16) * 4 / 3 + 4;

struct CursorKey {
  std::array<unsigned char, 32> bytes{};

  // Derive: HMAC-SHA256(secret, "shoal page cursor key v1"). REQUIRES: secret not empty.
  static CursorKey Derive(std::string_view secret);
  // ProcessRandom: 32 random bytes (OpenSSL RAND_bytes), made on the first call and the same
  // for the rest of the process (a reload keeps it).
  static const CursorKey& ProcessRandom();
};

// CursorValue is a `by` value: an int column's or a text column's.
using CursorValue = std::variant<int64_t, std::string>;

// EncodeCursor signs `value` for the endpoint `route`. REQUIRES: a string value is at most
// kMaxCursorValue bytes (the caller checks: a longer `by` value cannot be paged past).
std::string EncodeCursor(const CursorKey& key, std::string_view route, const CursorValue& value);

// DecodeCursor checks `text` (as the client sent it, percent-decoded) against `key` and
// `route`: InvalidArgument for a malformed, altered or foreign cursor, one of another endpoint
// and one signed with another key alike (the client cannot tell them apart, nor should it).
Result<CursorValue> DecodeCursor(const CursorKey& key, std::string_view route,
                                 std::string_view text);

}  // namespace shoal::api
