// Request, Response and Handler: what the http layer hands to the application and takes back.
//
// No Asio here: the api layer implements Handler without knowing about sockets.
//
// Lifetimes: a Request's views point into the connection's read buffer and its parser's storage
// (headers, a chunked body) and are valid only during the Handler::Handle (or MaxBody) call. A
// handler that answers later copies what it needs. A Response owns (or keeps alive through `owner`)
// everything it points to until written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/hold.h"

namespace shoal::http {

enum class Method : unsigned char { kGet, kHead, kPost, kPut, kDelete, kOptions, kPatch, kOther };

// CacheResult is how the cache answered a request: the one classification of a request's cache
// outcome, for the access log (http/access.h) and the per-endpoint metrics. Set by the handler
// in Response::cache_result; never sent.
enum class CacheResult : unsigned char {
  kNone,   // not a cache answer (an internal route, a bad request, no route)
  kHit,    // a fresh entry in memory
  kStale,  // a stale entry in memory (served while it refreshes, or because the store failed)
  kMiss,   // loaded from this node's store just now (or joined such a load), or failed to load
  kPeer,   // loaded just now from another node, the key's owner (or joined such a load)
};

// CacheResultName returns "hit", "stale", "miss" or "peer"; "" for kNone.
std::string_view CacheResultName(CacheResult result);

struct Header {
  std::string_view name;
  std::string_view value;
};

// CacheStatusLine is an answer's Cache-Status field (RFC 9211), kept as fields so that the
// session formats it into its reused head buffer and a hit allocates nothing:
//   shoal; hit; ttl=N                      a fresh or stale (ttl < 0) entry from memory
//   shoal; fwd=miss; stored; ttl=N         loaded just now (stored: kept in this node's cache)
//   shoal; fwd=stale; fwd-status=503; ...  the load of a stale entry failed; the entry served
//   ...; collapsed                         the request joined another's load
//   ...; key="..."; detail="owner=NODE"    the cache key (debug only), the key's owner node
// `key` and `owner` must stay valid until the answer is written: the entry's own key (kept by
// Response::owner) and an interned node name.
struct CacheStatusLine {
  enum class Fwd : unsigned char {
    kNone,   // not set: no Cache-Status line
    kHit,    // answered from memory (not forwarded)
    kMiss,   // forwarded: nothing servable in memory
    kStale,  // forwarded: only a stale entry in memory
  };
  Fwd fwd = Fwd::kNone;
  bool stored = false;
  bool collapsed = false;
  bool has_ttl = false;
  int fwd_status = 0;  // the status of the forwarded load's failure; 0: none
  int64_t ttl = 0;     // remaining freshness in whole seconds (floor): negative when stale
  std::string_view key;
  std::string_view owner;
};

// AppendCacheStatus appends the field value of `line` (without "Cache-Status: " or CRLF):
// `key` and `owner` as sf-strings (" and \ escaped, bytes outside 0x20-0x7E dropped).
void AppendCacheStatus(std::string& out, const CacheStatusLine& line);

struct Request {
  Method method = Method::kOther;
  std::string_view method_name;  // as sent, e.g. "GET"
  std::string_view target;       // as sent: path and query, e.g. "/v1/items/7?x=1"
  std::string_view path;         // target before '?', still percent-encoded
  std::string_view query;        // target after '?', without it; empty when none
  std::span<const Header> headers;
  std::string_view body;
  bool keep_alive = true;
  // The server writes an access-log line for this request (ServerOptions::access_log): the
  // handler should fill Response::owner_node, which costs a lookup otherwise not made.
  bool access_logged = false;

  // HeaderValue returns the first value of header `name` (ASCII case-insensitive), or "".
  std::string_view HeaderValue(std::string_view name) const;
};

struct Response {
  int status = 200;
  // Static strings only (string literals): the writer keeps no copy.
  std::string_view content_type = "application/json";
  std::string_view content_encoding;  // "" or e.g. "gzip"
  // Not sent for HEAD, but Content-Length still is. A view, kept alive by `owner` (a cached
  // entry's body is sent from the entry itself: no copy, no reference count of its own).
  std::string_view body;
  // Optional cache headers, written when set.
  std::string_view etag;  // including its quotes; kept alive by `owner`
  int64_t max_age = -1;   // Cache-Control: max-age=N, when >= 0
  // Cache-Control says `private` too: the answer is for the authenticated caller only, so no
  // shared cache (CDN, proxy) may store it.
  // CDN-Cache-Control is then not sent at all.
  bool cache_private = false;
  // CORS (api/cors.h): header lines, each "Name: value\r\n", valid for the process's lifetime
  // (interned configuration text), and whether the answer varies by Origin (one Vary line
  // with Accept-Encoding).
  std::string_view cors_headers;
  bool vary_origin = false;
  // Surrogate-Key: the entry's tags separated by spaces, when set (only with
  // http.debug_headers); kept alive by `owner`.
  std::string_view surrogate_key;
  // Configured Cache-Control directives (static or interned, e.g. "public, s-maxage=60"):
  // when set, the Cache-Control line is "max-age=<max_age>, " (when max_age >= 0) followed
  // by these.
  std::string_view cache_control;
  // CDN-Cache-Control (RFC 9213), written when either is set: "max-age=<cdn_max_age>, " (when
  // >= 0) followed by `cdn_cache_control` (static or interned).
  std::string_view cdn_cache_control;
  int64_t cdn_max_age = -1;
  int64_t age = -1;  // Age: N, when >= 0
  bool vary_accept_encoding = false;
  // X-Cache: HIT|MISS|STALE, when set; static. Deprecated for Cache-Status (one release).
  std::string_view cache_status;
  CacheStatusLine cache_status_line;  // Cache-Status, when its fwd is set
  // Rare extra header lines, each "Name: value\r\n" (Allow, Retry-After, ...).
  std::string extra_headers;
  // Header lines that belong to a cached answer, each "Name: value\r\n" (a page's Link),
  // written as they are; a view kept alive by `owner` (the entry), so a hit copies nothing.
  std::string_view entry_headers;
  // Not sent: for the access log (and metrics). The cache's part in the answer; the configured
  // route that matched ("" when none) and the node that owns the request's key ("" on a single
  // node, or when Request::access_logged was not set). Both views must stay valid for the
  // process's lifetime: interned names (base/interned.h), never request data.
  CacheResult cache_result = CacheResult::kNone;
  std::string_view route;
  std::string_view owner_node;
  // Keeps what the views above point into alive until the response is written: a cached
  // entry (one reference of its own count) or a buffer's share.
  Hold owner;

  // SetBody makes `bytes` the body and its owner (replacing any other owner).
  void SetBody(const Bytes& bytes) {
    body = bytes.view();
    owner = bytes.Share();
  }
};

// ReplyLater answers a request after Handle has returned. It may be called from any thread,
// exactly once. Calling it after the connection has gone is harmless.
using ReplyLater = std::function<void(Response)>;

// Exchange is one request's way back to its connection, valid only during Handle.
// Exactly one of Reply or Defer must be called, once.
class Exchange {
 public:
  // Reply answers now; the cheapest path (no allocation of its own).
  virtual void Reply(Response response) = 0;
  // Defer returns a callback that answers later and keeps the connection alive until then.
  virtual ReplyLater Defer() = 0;

  // Never deleted through this base, but virtual: so is every implementation's destructor
  // (cppcoreguidelines-virtual-class-destructor).
  virtual ~Exchange() = default;
};

// Handler is the application: one instance serves every connection on every loop, so it must
// be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(const Request& request, Exchange& exchange) = 0;

  // MaxBody returns the largest body, in bytes, this handler takes for the request whose head
  // is `head` (method, target and headers; no body yet). It is asked as soon as a head
  // announcing a body is in (Content-Length above 0, or chunked), before any of the body is
  // read: a larger one is answered 413 at once, and 0 refuses any body (a chunked one too).
  // The server's own ServerOptions::max_body still applies; the default adds no limit of its
  // own. Called on the loop threads, like Handle; must be cheap and thread-safe.
  virtual size_t MaxBody(const Request& head) const {
    (void)head;
    return SIZE_MAX;
  }
};

// StatusText returns the reason phrase for an HTTP status code, e.g. "Not Found".
std::string_view StatusText(int status);

// ErrorBody returns {"error": message, "status": status} as JSON (message escaped).
Bytes ErrorBody(int status, std::string_view message);

// ErrorResponse builds a JSON error response.
Response ErrorResponse(int status, std::string_view message);

// MethodNotAllowed builds the 405 error response, whose Allow header lists `allowed` (such as
// "GET, HEAD").
Response MethodNotAllowed(std::string_view allowed);

}  // namespace shoal::http
