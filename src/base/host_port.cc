#include "base/host_port.h"

#include <charconv>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace shoal {

namespace {

Status Bad(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("bad address '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

std::string FormatHostPort(std::string_view host, uint16_t port) {
  std::string out;
  out.reserve(host.size() + 8);
  if (host.find(':') != std::string_view::npos) {
    out.push_back('[');
    out.append(host);
    out.push_back(']');
  } else {
    out.append(host);
  }
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() == 9) {
    bool localhost = true;
    for (size_t i = 0; i < 9; ++i) {
      const char c = host[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      localhost = localhost && lower == "localhost"[i];
    }
    if (localhost) return true;
  }
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string HostPort::ToString() const { return FormatHostPort(host, port); }

Result<HostPort> ParseHostPort(std::string_view text, HostPortRules rules) {
  std::string_view host;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return Bad(text, "'[' without ']'");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad(text, "expected ':' after ']'");
      port = rest.substr(1);
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.rfind(':') != colon) {
      return Bad(text, "an IPv6 address goes in brackets, as [" + std::string(text) + "]" +
                           (rules.default_port ? "" : ":PORT"));
    }
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (host.empty()) return Bad(text, "expected HOST:PORT, the host is empty");
  HostPort out{std::string(host), 0};
  if (!port) {
    if (!rules.default_port) return Bad(text, "expected HOST:PORT, the port is missing");
    out.port = *rules.default_port;
    return out;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
  const unsigned low = rules.allow_port_zero ? 0 : 1;
  if (port->empty() || ec != std::errc() || end != port->data() + port->size() || value < low ||
      value > 65535) {
    return Bad(text, "the port must be a number in " + std::to_string(low) + "..65535");
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace shoal
