// The few functions declared in handler.h: header lookup, cache result names, reason phrases
// and JSON error responses. Thread-safe (pure functions).
#include "http/handler.h"

#include <string>

#include "base/json.h"

namespace shoal::http {

namespace {
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

std::string_view Request::HeaderValue(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = Lower(h.name[i]) == Lower(name[i]);
    if (same) return h.value;
  }
  return {};
}

std::string_view CacheResultName(CacheResult result) {
  switch (result) {
    case CacheResult::kNone:
      return "";
    case CacheResult::kHit:
      return "hit";
    case CacheResult::kStale:
      return "stale";
    case CacheResult::kMiss:
      return "miss";
    case CacheResult::kPeer:
      return "peer";
  }
  return "";
}

std::string_view StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      break;
  }
  if (status >= 100 && status < 200) return "Informational";
  if (status >= 200 && status < 300) return "Success";
  if (status >= 300 && status < 400) return "Redirection";
  if (status >= 400 && status < 500) return "Client Error";
  return "Server Error";
}

Bytes ErrorBody(int status, std::string_view message) {
  std::string out;
  out.reserve(32 + message.size());
  out += "{\"error\":";
  AppendJsonString(out, message);
  out += ",\"status\":";
  out += std::to_string(status);
  out += '}';
  return Bytes::Copy(out);
}

Response ErrorResponse(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.SetBody(ErrorBody(status, message));
  return r;
}

Response MethodNotAllowed(std::string_view allowed) {
  Response r = ErrorResponse(405, "method not allowed");
  r.extra_headers.append("Allow: ").append(allowed).append("\r\n");
  return r;
}

}  // namespace shoal::http
