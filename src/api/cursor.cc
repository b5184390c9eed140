// Page cursors: sign and check; see cursor.h.
#include "api/cursor.h"

#include <climits>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/base64.h"
#include "base/big_endian.h"

namespace shoal::api {
namespace {

constexpr std::string_view kKeyLabel = "shoal page cursor key v1";
constexpr std::string_view kMacLabel = "shoal page cursor v1";
constexpr uint8_t kVersion = 1;
constexpr uint8_t kInt = 0;
constexpr uint8_t kString = 1;
constexpr size_t kMacBytes = 16;

Status Invalid() {
  return Status::InvalidArgument(
      "parameter 'cursor' is not a valid cursor for this endpoint (take the next page's link "
      "from the Link header of the page before)");
}

// Mac is HMAC-SHA256 over the label, the route (length first, so that route and payload
// cannot trade bytes) and the payload, cut to kMacBytes. Empty if OpenSSL fails.
std::string Mac(const CursorKey& key, std::string_view route, std::string_view payload) {
  std::string message;
  message.reserve(kMacLabel.size() + 4 + route.size() + payload.size());
  message.append(kMacLabel);
  AppendBigEndian32(message, static_cast<uint32_t>(route.size()));
  message.append(route);
  message.append(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &size) == nullptr ||
      size < kMacBytes) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

}  // namespace

CursorKey CursorKey::Derive(std::string_view secret) {
  CursorKey k;
  unsigned int size = 0;
  const int key_size = secret.size() > INT_MAX ? INT_MAX : static_cast<int>(secret.size());
  if (HMAC(EVP_sha256(), secret.data(), key_size,
           reinterpret_cast<const unsigned char*>(kKeyLabel.data()), kKeyLabel.size(),
           k.bytes.data(), &size) == nullptr ||
      size != k.bytes.size()) {
    std::abort();  // SHA-256 with a key is always there; a broken libcrypto is not ours to run on
  }
  return k;
}

const CursorKey& CursorKey::ProcessRandom() {
  static const CursorKey kProcessKey = [] {
    CursorKey k;
    if (RAND_bytes(k.bytes.data(), static_cast<int>(k.bytes.size())) != 1) std::abort();
    return k;
  }();
  return kProcessKey;
}

std::string EncodeCursor(const CursorKey& key, std::string_view route, const CursorValue& value) {
  std::string payload;
  payload.push_back(static_cast<char>(kVersion));
  if (const auto* i = std::get_if<int64_t>(&value)) {
    payload.push_back(static_cast<char>(kInt));
    AppendBigEndian64(payload, static_cast<uint64_t>(*i));
  } else {
    payload.push_back(static_cast<char>(kString));
    payload.append(std::get<std::string>(value));
  }
  payload.append(Mac(key, route, payload));
  std::string out;
  AppendBase64Url(out, payload);
  return out;
}

Result<CursorValue> DecodeCursor(const CursorKey& key, std::string_view route,
                                 std::string_view text) {
  if (text.size() > kMaxCursorText) return Invalid();
  std::string raw;
  if (!DecodeBase64Url(text, &raw) || raw.size() < 2 + kMacBytes) return Invalid();
  const std::string_view payload(raw.data(), raw.size() - kMacBytes);
  const std::string_view mac(raw.data() + payload.size(), kMacBytes);
  const std::string want = Mac(key, route, payload);
  if (want.size() != kMacBytes || CRYPTO_memcmp(want.data(), mac.data(), kMacBytes) != 0) {
    return Invalid();
  }
  // Signed by us: the layout is ours, but check it anyway (a key shared with an older release).
  if (static_cast<uint8_t>(payload[0]) != kVersion) return Invalid();
  const std::string_view value = payload.substr(2);
  switch (static_cast<uint8_t>(payload[1])) {
    case kInt:
      if (value.size() != 8) return Invalid();
      return CursorValue(static_cast<int64_t>(LoadBigEndian64(value.data())));
    case kString:
      if (value.size() > kMaxCursorValue) return Invalid();
      return CursorValue(std::string(value));
    default:
      return Invalid();
  }
}

}  // namespace shoal::api
