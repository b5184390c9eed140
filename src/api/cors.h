// CORS for the configured endpoints, after the Fetch standard's CORS protocol: the options a
// config gives (`cors:` at the top level and per endpoint), the checks done when the config is
// read, and the compiled policy the Api answers with.
//
// What a browser sees (Fetch, "HTTP responses" and "CORS protocol and HTTP caches"):
//   - origins is a list of serialized origins: the request's Origin, byte for byte, is looked
//     up there, and an allowed one is echoed in Access-Control-Allow-Origin (with
//     Access-Control-Allow-Credentials: true when `credentials`, and
//     Access-Control-Expose-Headers). Since the answer depends on the Origin, every answer of
//     the endpoint carries Vary: Origin, also when the Origin is refused or absent, so that no
//     cache hands one origin's answer to another. A refused origin gets the normal answer
//     without CORS headers: the browser withholds it from the page.
//   - origins ["*"] (only without credentials): Access-Control-Allow-Origin: * on every answer,
//     whatever the Origin (none too); the answer does not depend on it, so no Vary: Origin.
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered from the
//     policy alone, never the cache: 204 with the allowed origin, methods, headers and
//     Access-Control-Max-Age; 403 with a JSON body for an origin or a method not allowed. A
//     requested header that is not in `headers` simply is not listed, and the browser refuses.
//
// Allocation: every header block a request can get is made when the policy is compiled and
// interned (base/interned.h: process-lifetime, bounded by the config's origins), so an answer
// only points at one (ForRequest allocates nothing; a preflight allocates only its 403 body).
// Thread-safety: CorsPolicy is immutable; the functions are pure.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "http/handler.h"

namespace shoal::api {

struct CorsOptions {
  // false: CORS is off for the endpoint (`cors: false`, overriding a top-level section).
  bool enabled = true;
  // Serialized origins ("https://app.example.com", "http://127.0.0.1:8080"), each in
  // NormalizeOrigin's form; or the one entry "*": any origin (only without credentials).
  std::vector<std::string> origins;
  // Methods a page may use: GET and HEAD (the only ones an endpoint serves).
  std::vector<std::string> methods = {"GET", "HEAD"};
  // Request headers a page may send beyond the CORS-safelisted ones
  // (Access-Control-Allow-Headers); "*" alone allows any but Authorization (not with
  // credentials). Empty: none.
  std::vector<std::string> headers;
  // Response headers a page may read beyond the CORS-safelisted ones
  // (Access-Control-Expose-Headers).
  std::vector<std::string> expose_headers = {"ETag", "Age", "Cache-Status", "X-Cache", "Link"};
  // How long a browser may keep a preflight's answer (Access-Control-Max-Age, whole seconds;
  // browsers cap it: Chromium at 2 hours).
  Duration max_age = std::chrono::minutes(10);
  // Pages may send cookies and HTTP authentication (Access-Control-Allow-Credentials: true).
  bool credentials = false;
};

// NormalizeOrigin checks that `text` is an origin, scheme "://" host [":" port] and nothing
// else (no path, not even "/", no user info, query or fragment), and returns its serialized
// form, as a browser sends it in Origin: scheme and host in lower case, the scheme's default
// port (80 for http, 443 for https) dropped, an IPv6 host in brackets. "null" and "*" are not
// origins. InvalidArgument with a message that quotes the text otherwise.
Result<std::string> NormalizeOrigin(std::string_view text);

// IsHeaderName reports whether `name` is an HTTP field name (an RFC 9110 token).
bool IsHeaderName(std::string_view name);

// CheckCorsOptions checks what no single field shows: "*" only alone and never with
// credentials (in origins, headers and expose_headers), at least one origin, methods only GET
// and HEAD. InvalidArgument naming the key ("cors.origins: ...") otherwise.
Status CheckCorsOptions(const CorsOptions& options);

// CorsHeaders is what one answer carries: the header lines ("Name: value\r\n" each; "" for
// none) and whether it varies by Origin. The lines are interned: they stay valid for the
// process's lifetime, so an answer may keep them however late it is written.
struct CorsHeaders {
  std::string_view lines;
  bool vary_origin = false;

  // ApplyTo sets the response's CORS fields.
  void ApplyTo(http::Response& r) const {
    r.cors_headers = lines;
    r.vary_origin = vary_origin;
  }
};

class CorsPolicy {
 public:
  // Compile builds the policy. REQUIRES: CheckCorsOptions(options).ok() and origins in
  // NormalizeOrigin's form.
  static std::shared_ptr<const CorsPolicy> Compile(const CorsOptions& options);

  // ForRequest is what an actual (not preflight) request with Origin `origin` ("" when it sent
  // none) gets. Allocates nothing.
  CorsHeaders ForRequest(std::string_view origin) const;

  // Preflight answers an OPTIONS request with Origin `origin` and
  // Access-Control-Request-Method `method` (both not empty): 204 with the policy's headers,
  // or 403 with a JSON body when the origin or the method is not allowed.
  http::Response Preflight(std::string_view origin, std::string_view method) const;

  // Public for make_shared; use Compile.
  struct Allowed {
    std::string_view origin;     // interned
    std::string_view actual;     // interned header lines of an actual request's answer
    std::string_view preflight;  // interned header lines of a preflight's answer
  };
  CorsPolicy(bool any, std::vector<Allowed> allowed, std::vector<std::string> methods);

 private:
  const Allowed* Find(std::string_view origin) const;

  bool any_;                      // origins ["*"]: allowed_ holds the one entry, origin "*"
  std::vector<Allowed> allowed_;  // sorted by origin
  std::vector<std::string> methods_;
};

}  // namespace shoal::api
