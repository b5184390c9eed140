// Cidr: see cidr.h.
#include "base/cidr.h"

#include <optional>

#include <arpa/inet.h>

#include "base/numbers.h"

namespace shoal {
namespace {

struct Address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// ParseAddress reads a numeric IPv4 or IPv6 address; an IPv4-mapped IPv6 address is read as
// its IPv4 address.
std::optional<Address> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string z(text);  // inet_pton wants a NUL-terminated string
  Address a;
  if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  bool mapped = true;
  for (size_t i = 0; i < 12; ++i) mapped = mapped && a.bytes[i] == kMapped[i];
  if (mapped) {
    for (size_t i = 0; i < 4; ++i) a.bytes[i] = a.bytes[12 + i];
    for (size_t i = 4; i < 16; ++i) a.bytes[i] = 0;
    return a;
  }
  a.v6 = true;
  return a;
}

// Match says whether the first `prefix` bits of `a` and `b` agree.
bool Match(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  const auto whole = static_cast<size_t>(prefix / 8);
  for (size_t i = 0; i < whole; ++i) {
    if (a[i] != b[i]) return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Result<Cidr> Cidr::Parse(std::string_view text) {
  const auto bad = [text](std::string_view why) {
    return Status::InvalidArgument("network '" + std::string(text) + "': " + std::string(why) +
                                   " (write it as 10.0.0.0/8 or fd00::/8)");
  };
  const size_t slash = text.find('/');
  std::optional<Address> address = ParseAddress(text.substr(0, slash));
  if (!address) return bad("not an IPv4 or IPv6 address");
  if (!address->v6 && text.substr(0, slash).find(':') != std::string_view::npos) {
    return bad("an IPv4-mapped IPv6 network; write the IPv4 network");
  }
  const int max = address->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const std::optional<int64_t> p = ParseInt64(text.substr(slash + 1));
    if (!p || *p < 0 || *p > max) {
      return bad("the prefix length must be 0.." + std::to_string(max));
    }
    prefix = static_cast<int>(*p);
  }
  Cidr c;
  c.v6_ = address->v6;
  c.bytes_ = address->bytes;
  c.prefix_ = prefix;
  // Host bits set beyond the prefix: the address and the prefix disagree.
  for (int bit = prefix; bit < max; ++bit) {
    const auto byte = static_cast<size_t>(bit / 8);
    if ((c.bytes_[byte] >> (7 - bit % 8)) & 1) {
      return bad("host bits are set beyond the /" + std::to_string(prefix));
    }
  }
  return c;
}

bool Cidr::Contains(std::string_view address) const {
  std::optional<Address> a = ParseAddress(address);
  if (!a || a->v6 != v6_) return false;
  return Match(a->bytes, bytes_, prefix_);
}

std::string Cidr::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_);
}

bool InAnyNetwork(std::span<const Cidr> networks, std::string_view address) {
  for (const Cidr& n : networks) {
    if (n.Contains(address)) return true;
  }
  return false;
}

}  // namespace shoal
