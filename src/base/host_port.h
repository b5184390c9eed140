// HostPort: "host:port" addresses, parsed and printed the same way everywhere.
//
// Accepted forms: "name:port", "1.2.3.4:port", "[v6]:port", and, where a default port is
// given, "name", "1.2.3.4" and "[v6]". An IPv6 address always goes in brackets (a bare
// "::1:9042" is ambiguous and refused with a message that shows the bracketed form).
// ToString puts brackets back around any host that holds a ':'. Thread-safe (values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  // ToString returns "host:port", or "[host]:port" for an IPv6 host.
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

struct HostPortRules {
  std::optional<uint16_t> default_port;  // used when the text has none; none: a port is required
  bool allow_port_zero = false;          // a listen address: port 0 picks a free port
};

// ParseHostPort reads `text` by `rules`. Errors are InvalidArgument with a message that quotes
// the text and says what was expected.
Result<HostPort> ParseHostPort(std::string_view text, HostPortRules rules = {});

// IsLoopbackHost says whether `host` (without brackets) surely names this machine only:
// "localhost" (any case), an IPv4 address in 127.0.0.0/8, or ::1 (also as ::ffff:127.x.y.z).
// Any other name is not loopback (it is not resolved), nor is 0.0.0.0 or ::.
bool IsLoopbackHost(std::string_view host);

// FormatHostPort is HostPort{host, port}.ToString().
std::string FormatHostPort(std::string_view host, uint16_t port);

}  // namespace shoal
