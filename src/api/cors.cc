// CORS: see cors.h.
#include "api/cors.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/interned.h"

namespace shoal::api {
namespace {

constexpr std::string_view kAny = "*";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status Bad(std::string_view text, std::string_view why) {
  std::string m = "'";
  m += text;
  m += "' is not an origin: ";
  m += why;
  m += " (write scheme://host or scheme://host:port, e.g. https://app.example.com)";
  return Status::InvalidArgument(std::move(m));
}

// Lowered returns `s` in lower case (ASCII).
std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// CheckStarAlone checks the "*" rules of one list.
Status CheckStarAlone(const std::vector<std::string>& list, std::string_view key,
                      bool credentials) {
  if (!Contains(list, kAny)) return Status::Ok();
  if (list.size() > 1) {
    return Status::InvalidArgument(std::string(key) + ": \"*\" must be the only entry");
  }
  if (credentials) {
    return Status::InvalidArgument(std::string(key) +
                                   ": \"*\" is not allowed with credentials: true (browsers "
                                   "refuse the wildcard on credentialed requests); list the "
                                   "names");
  }
  return Status::Ok();
}

std::string Joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

Result<std::string> NormalizeOrigin(std::string_view text) {
  if (text == "null") return Bad(text, "\"null\" (a sandboxed or file: page) cannot be trusted");
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) return Bad(text, "no \"://\"");
  const std::string_view scheme = text.substr(0, sep);
  if (scheme.empty() || !IsAlpha(scheme[0])) return Bad(text, "the scheme must start a letter");
  for (char c : scheme) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return Bad(text, "the scheme holds a character a scheme cannot");
    }
  }
  std::string_view rest = text.substr(sep + 3);
  for (char c : rest) {
    if (c == '/') return Bad(text, "an origin has no path, not even \"/\"");
    if (c == '?' || c == '#') return Bad(text, "an origin has no query or fragment");
    if (c == '@') return Bad(text, "an origin has no user name or password");
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Bad(text, "only ASCII without spaces (write an IDN host in its xn-- form)");
    }
  }
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad(text, "'[' without ']'");
    host = rest.substr(1, close - 1);
    for (char c : host) {
      if (!IsDigit(c) && !(Lower(c) >= 'a' && Lower(c) <= 'f') && c != ':' && c != '.') {
        return Bad(text, "not an IPv6 address in the brackets");
      }
    }
    if (host.find(':') == std::string_view::npos) return Bad(text, "not an IPv6 address");
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(text, "text after ']'");
      port = after.substr(1);
      if (port.empty()) return Bad(text, "':' without a port");
    }
  } else {
    const size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return Bad(text, "':' without a port");
    }
    for (char c : host) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '.' && c != '_') {
        return Bad(text, "the host holds a character a host name cannot");
      }
    }
  }
  if (host.empty()) return Bad(text, "no host");
  uint32_t port_number = 0;
  for (char c : port) {
    if (!IsDigit(c)) return Bad(text, "the port is not a number");
    port_number = port_number * 10 + static_cast<uint32_t>(c - '0');
    if (port_number > 65535) return Bad(text, "the port is above 65535");
  }
  if (!port.empty() && port_number == 0) return Bad(text, "port 0");
  const std::string lower_scheme = Lowered(scheme);
  std::string out = lower_scheme + "://";
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) out += '[';
  out += Lowered(host);
  if (v6) out += ']';
  const bool default_port = (lower_scheme == "http" && port_number == 80) ||
                            (lower_scheme == "https" && port_number == 443);
  if (!port.empty() && !default_port) {
    out += ':';
    out += std::to_string(port_number);
  }
  return out;
}

bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (IsAlpha(c) || IsDigit(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

Status CheckCorsOptions(const CorsOptions& o) {
  if (!o.enabled) return Status::Ok();
  if (o.origins.empty()) {
    return Status::InvalidArgument("cors.origins: needs at least one origin, or \"*\"");
  }
  if (Status s = CheckStarAlone(o.origins, "cors.origins", o.credentials); !s.ok()) return s;
  if (Status s = CheckStarAlone(o.headers, "cors.headers", o.credentials); !s.ok()) return s;
  if (Status s = CheckStarAlone(o.expose_headers, "cors.expose_headers", o.credentials); !s.ok()) {
    return s;
  }
  if (o.methods.empty()) return Status::InvalidArgument("cors.methods: needs GET or HEAD");
  for (const std::string& m : o.methods) {
    if (m != "GET" && m != "HEAD") {
      return Status::InvalidArgument("cors.methods: '" + m +
                                     "': an endpoint answers only GET and HEAD");
    }
  }
  for (const auto* list : {&o.headers, &o.expose_headers}) {
    for (const std::string& h : *list) {
      if (h != kAny && !IsHeaderName(h)) {
        return Status::InvalidArgument(
            std::string(list == &o.headers ? "cors.headers" : "cors.expose_headers") + ": '" + h +
            "' is not a header name");
      }
    }
  }
  if (o.max_age < Duration::zero()) return Status::InvalidArgument("cors.max_age: negative");
  return Status::Ok();
}

std::shared_ptr<const CorsPolicy> CorsPolicy::Compile(const CorsOptions& o) {
  const bool any = o.origins.size() == 1 && o.origins[0] == kAny;
  const std::string credentials = o.credentials ? "Access-Control-Allow-Credentials: true\r\n" : "";
  std::string expose;
  if (!o.expose_headers.empty()) {
    expose = "Access-Control-Expose-Headers: " + Joined(o.expose_headers) + "\r\n";
  }
  std::string preflight_tail = "Access-Control-Allow-Methods: " + Joined(o.methods) + "\r\n";
  if (!o.headers.empty()) {
    preflight_tail += "Access-Control-Allow-Headers: " + Joined(o.headers) + "\r\n";
  }
  preflight_tail +=
      "Access-Control-Max-Age: " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(o.max_age).count()) + "\r\n";
  std::vector<Allowed> allowed;
  for (const std::string& origin : o.origins) {
    std::string allow = "Access-Control-Allow-Origin: ";
    allow.append(origin).append("\r\n").append(credentials);
    allowed.push_back(
        Allowed{Intern(origin), Intern(allow + expose), Intern(allow + preflight_tail)});
  }
  std::sort(allowed.begin(), allowed.end(),
            [](const Allowed& a, const Allowed& b) { return a.origin < b.origin; });
  allowed.erase(
      std::unique(allowed.begin(), allowed.end(),
                  [](const Allowed& a, const Allowed& b) { return a.origin == b.origin; }),
      allowed.end());
  return std::make_shared<const CorsPolicy>(any, std::move(allowed), o.methods);
}

CorsPolicy::CorsPolicy(bool any, std::vector<Allowed> allowed, std::vector<std::string> methods)
    : any_(any), allowed_(std::move(allowed)), methods_(std::move(methods)) {}

const CorsPolicy::Allowed* CorsPolicy::Find(std::string_view origin) const {
  if (any_) return &allowed_.front();
  const auto it =
      std::lower_bound(allowed_.begin(), allowed_.end(), origin,
                       [](const Allowed& a, std::string_view o) { return a.origin < o; });
  return it != allowed_.end() && it->origin == origin ? &*it : nullptr;
}

CorsHeaders CorsPolicy::ForRequest(std::string_view origin) const {
  // With "*" the answer is the same for every Origin, none included: no Vary (Fetch, "CORS
  // protocol and HTTP caches").
  if (any_) return CorsHeaders{allowed_.front().actual, false};
  if (origin.empty()) return CorsHeaders{{}, true};
  const Allowed* a = Find(origin);
  return CorsHeaders{a != nullptr ? a->actual : std::string_view(), true};
}

http::Response CorsPolicy::Preflight(std::string_view origin, std::string_view method) const {
  const Allowed* a = Find(origin);
  http::Response r;
  if (a == nullptr) {
    r = http::ErrorResponse(403, "CORS: origin not allowed");
  } else if (!Contains(methods_, method)) {
    r = http::ErrorResponse(403, "CORS: method not allowed");
  } else {
    r.status = 204;
    r.content_type = {};
    r.cors_headers = a->preflight;
  }
  r.vary_origin = !any_;
  return r;
}

}  // namespace shoal::api
