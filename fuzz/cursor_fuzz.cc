// libFuzzer target: the page cursor (api/cursor.h), the token a client sends back in
// ?cursor= to get the next page of a paged endpoint. The first input byte picks the mode; the
// rest is:
//   - even: a cursor as a client sent it, given to DecodeCursor. Whatever it accepts must be
//     exactly the text EncodeCursor makes of the value (one encoding per value: base64url
//     without padding or stray bits, a fixed layout), and is refused under another route;
//   - odd: a value (an 8-byte int when the next byte is even and 8 bytes follow, else a string
//     cut to kMaxCursorValue), encoded, then decoded back to itself; the cursor fits
//     kMaxCursorText, is refused under another key and another route, and refused with any
//     one of its characters changed to another base64url character (the input picks which).
// The key is derived once, as a cluster's shared secret would make it. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "api/cursor.h"

namespace {

namespace api = shoal::api;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kRoute = "/v1/items/{id:int}/reviews";
constexpr std::string_view kOtherRoute = "/v1/items/{id:int}/photos";
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const api::CursorKey& Key() {
  static const api::CursorKey kKey = api::CursorKey::Derive("fuzz-cursor-secret-0123456789");
  return kKey;
}

const api::CursorKey& OtherKey() {
  static const api::CursorKey kKey = api::CursorKey::Derive("fuzz-cursor-secret-9876543210");
  return kKey;
}

api::CursorValue ValueFrom(std::string_view in) {
  if (in.size() == 9 && static_cast<unsigned char>(in[0]) % 2 == 0) {
    uint64_t u = 0;
    std::memcpy(&u, in.data() + 1, sizeof u);
    return static_cast<int64_t>(u);
  }
  return std::string(in.substr(0, api::kMaxCursorValue));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    shoal::Result<api::CursorValue> v = api::DecodeCursor(Key(), kRoute, in);
    if (v.ok()) {
      Check(api::EncodeCursor(Key(), kRoute, *v) == in);
      Check(!api::DecodeCursor(Key(), kOtherRoute, in).ok());
    }
    return 0;
  }
  const api::CursorValue value = ValueFrom(in);
  const std::string c = api::EncodeCursor(Key(), kRoute, value);
  Check(c.size() <= api::kMaxCursorText);
  shoal::Result<api::CursorValue> back = api::DecodeCursor(Key(), kRoute, c);
  Check(back.ok() && *back == value);
  Check(!api::DecodeCursor(OtherKey(), kRoute, c).ok());
  Check(!api::DecodeCursor(Key(), kOtherRoute, c).ok());
  // One character changed: the input's first byte (after the mode) picks where and to what.
  const size_t at = in.empty() ? 0 : static_cast<unsigned char>(in[0]) % c.size();
  const size_t was = kAlphabet.find(c[at]);
  Check(was != std::string_view::npos);
  std::string altered = c;
  altered[at] = kAlphabet[(was + 1 + (size % (kAlphabet.size() - 1))) % kAlphabet.size()];
  Check(!api::DecodeCursor(Key(), kRoute, altered).ok());
  return 0;
}
