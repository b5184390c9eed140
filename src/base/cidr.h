// Cidr: an IPv4 or IPv6 network written "address/prefix" ("10.0.0.0/8", "fd00::/8"), and
// whether an address lies in it. A bare address is a network of that one address (/32 or
// /128). Host bits beyond the prefix are refused ("10.0.0.1/8" is a typo for one thing or the
// other). An IPv4-mapped IPv6 address (::ffff:10.1.2.3) lies in the IPv4 networks that hold
// its IPv4 address. Parse errors are InvalidArgument quoting the text.
// Thread-safety: values; Contains is const and pure.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal {

class Cidr {
 public:
  static Result<Cidr> Parse(std::string_view text);

  // Contains says whether `address` (a numeric IPv4 or IPv6 address, without brackets or
  // port) lies in the network; false for anything that is not an address.
  bool Contains(std::string_view address) const;

  // ToString returns the canonical "address/prefix".
  std::string ToString() const;

 private:
  Cidr() = default;

  bool v6_ = false;
  std::array<uint8_t, 16> bytes_{};  // the first 4 for IPv4
  int prefix_ = 0;
};

// InAnyNetwork says whether `address` lies in one of `networks`.
bool InAnyNetwork(std::span<const Cidr> networks, std::string_view address);

}  // namespace shoal
