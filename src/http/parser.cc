// The request parser; see parser.h for the grammar it accepts and the statuses it returns.
//
// Structure: the request line, then the header lines, then the body framing, each step
// either consuming a whole CRLF-terminated line or reporting NeedMore. A partial line is
// still checked for bytes that can never become valid, so garbage (a TLS hello, binary) is
// refused at once instead of after max_request_line bytes. Thread-safe (no shared state).
#include "http/parser.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace shoal::http {
namespace {

// Byte classes of RFC 9110 section 5.6.2 (tchar) and 5.5 (field-vchar, obs-text).
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTokenChar = MakeTokenTable();

inline unsigned char U(char c) { return static_cast<unsigned char>(c); }
inline bool IsToken(char c) { return kTokenChar[U(c)]; }
// A byte allowed inside a field value: HTAB, SP, visible ASCII, obs-text.
inline bool IsFieldByte(char c) { return c == '\t' || (U(c) >= 0x20 && U(c) != 0x7f); }
// A byte allowed in the request line: SP and visible ASCII (the target is ASCII only).
inline bool IsLineByte(char c) { return U(c) >= 0x20 && U(c) < 0x7f; }
inline bool IsOws(char c) { return c == ' ' || c == '\t'; }

inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// IEquals compares ASCII case-insensitively; `lower` must already be lower case.
bool IEquals(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower[i]) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

ParseResult Fail(int status, std::string_view message) {
  ParseResult r;
  r.state = ParseState::kError;
  r.status = status;
  r.message = message;
  return r;
}

ParseResult NeedMore() { return ParseResult{}; }

// PartialLineOk reports whether the unterminated tail `s` of a line can still become valid:
// only allowed bytes, and a CR only as its very last byte (the CRLF may be half there).
template <typename Pred>
bool PartialLineOk(std::string_view s, Pred allowed) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 == s.size()) return true;
    if (!allowed(s[i])) return false;
  }
  return true;
}

// FindLf returns the index of the first '\n' in buf[from, from + window), or npos.
size_t FindLf(std::string_view buf, size_t from, size_t window) {
  size_t n = std::min(window, buf.size() - from);
  const void* p = std::memchr(buf.data() + from, '\n', n);
  if (p == nullptr) return std::string_view::npos;
  return static_cast<size_t>(static_cast<const char*>(p) - buf.data());
}

// ParseContentLength parses a Content-Length value (a list of equal decimals is allowed, as
// RFC 9110 section 8.6 permits) and merges it with `*length` from earlier headers.
bool ParseContentLength(std::string_view value, bool* seen, uint64_t* length) {
  constexpr uint64_t kMax = uint64_t{1} << 53;  // far beyond any limit; keeps math exact
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = TrimOws(value.substr(0, comma));
    if (item.empty()) return false;
    uint64_t v = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
      if (v > kMax) return false;
    }
    if (*seen && v != *length) return false;
    *seen = true;
    *length = v;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// HeaderLine splits one complete header line (without CRLF) into name and trimmed value.
// Returns false for anything malformed: obs-fold, empty or non-token name, whitespace before
// the colon, a forbidden byte (NUL, a bare CR, other controls) in the value.
bool HeaderLine(std::string_view line, Header* out) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!IsToken(c)) return false;
  }
  std::string_view value = line.substr(colon + 1);
  for (char c : value) {
    if (!IsFieldByte(c)) return false;
  }
  out->name = name;
  out->value = TrimOws(value);
  return true;
}

// Longest chunk-size line we read (size, extensions and CRLF); longer lines are refused.
constexpr size_t kMaxChunkLine = 4096;

// WalkChunked walks a chunked body starting at buf[pos]. With `out` null it only validates
// and finds the end; with `out` it appends the decoded data. On kComplete, `consumed` is the
// index just past the final CRLF of the trailer section.
ParseResult WalkChunked(std::string_view buf, size_t pos, const Limits& limits, std::string* out) {
  const size_t start = pos;
  // Framing may at most double the body (plus slack) before we call it too large: it bounds
  // the bytes a connection must buffer for one request.
  const size_t max_raw = 2 * limits.max_body + kMaxChunkLine;
  size_t decoded = 0;
  while (true) {
    if (pos - start > max_raw) return Fail(413, "request body too large");
    size_t lf = FindLf(buf, pos, kMaxChunkLine);
    if (lf == std::string_view::npos) {
      if (buf.size() - pos >= kMaxChunkLine) return Fail(400, "bad chunk size line");
      if (!PartialLineOk(buf.substr(pos), IsFieldByte)) return Fail(400, "bad chunk size line");
      return NeedMore();
    }
    if (lf == pos || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
    std::string_view line = buf.substr(pos, lf - 1 - pos);
    size_t i = 0;
    uint64_t size = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      unsigned digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (Lower(c) >= 'a' && Lower(c) <= 'f') {
        digit = static_cast<unsigned>(Lower(c) - 'a' + 10);
      } else {
        break;
      }
      if (i >= 15) return Fail(400, "bad chunk size");  // > 2^60: never a real chunk
      size = size * 16 + digit;
    }
    if (i == 0) return Fail(400, "bad chunk size");
    std::string_view rest = line.substr(i);
    while (!rest.empty() && IsOws(rest.front())) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() != ';') return Fail(400, "bad chunk size");
    for (char c : rest) {
      if (!IsFieldByte(c)) return Fail(400, "bad chunk extension");
    }
    pos = lf + 1;
    if (size == 0) break;
    if (size > limits.max_body - decoded) return Fail(413, "request body too large");
    if (buf.size() - pos < size + 2) return NeedMore();
    if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n') {
      return Fail(400, "bad chunk data");
    }
    if (out != nullptr) out->append(buf.data() + pos, static_cast<size_t>(size));
    decoded += static_cast<size_t>(size);
    pos += static_cast<size_t>(size) + 2;
  }
  // Trailer section: header lines up to an empty line; checked, bounded, then ignored.
  const size_t trailer_start = pos;
  while (true) {
    size_t window =
        limits.max_header_bytes + 1 - std::min(limits.max_header_bytes, pos - trailer_start);
    size_t lf = FindLf(buf, pos, window);
    if (lf == std::string_view::npos) {
      if (buf.size() - trailer_start > limits.max_header_bytes) {
        return Fail(431, "trailer section too large");
      }
      if (!PartialLineOk(buf.substr(pos), IsFieldByte)) return Fail(400, "bad trailer");
      return NeedMore();
    }
    if (lf == pos || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
    if (lf + 1 - trailer_start > limits.max_header_bytes) {
      return Fail(431, "trailer section too large");
    }
    std::string_view line = buf.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.empty()) break;
    Header ignored;
    if (IsOws(line.front()) || !HeaderLine(line, &ignored)) return Fail(400, "bad trailer");
  }
  ParseResult r;
  r.state = ParseState::kComplete;
  r.consumed = pos;
  return r;
}

}  // namespace

Method MethodFromName(std::string_view name) {
  switch (name.size()) {
    case 3:
      if (name == "GET") return Method::kGet;
      if (name == "PUT") return Method::kPut;
      break;
    case 4:
      if (name == "HEAD") return Method::kHead;
      if (name == "POST") return Method::kPost;
      break;
    case 5:
      if (name == "PATCH") return Method::kPatch;
      break;
    case 6:
      if (name == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (name == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

ParseResult Parse(std::string_view buf, const Limits& limits, Request* out,
                  std::vector<Header>* header_storage, std::string* body_storage) {
  const size_t n = buf.size();
  size_t pos = 0;

  // Empty lines before the request line (RFC 9112 section 2.2), e.g. a stray CRLF after a
  // previous request's body. Bounded like the request line itself.
  while (pos + 1 < n && buf[pos] == '\r' && buf[pos + 1] == '\n') {
    pos += 2;
    if (pos > limits.max_request_line) return Fail(400, "bad request line");
  }
  if (pos == n || (pos + 1 == n && buf[pos] == '\r')) return NeedMore();

  // --- Request line.
  const size_t line_start = pos;
  size_t lf = FindLf(buf, line_start, limits.max_request_line + 2);
  if (lf == std::string_view::npos) {
    if (n - line_start >= limits.max_request_line + 2) return Fail(414, "request line too long");
    if (!PartialLineOk(buf.substr(line_start), IsLineByte)) {
      return Fail(400, "bad request line");
    }
    return NeedMore();
  }
  if (lf == line_start || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
  std::string_view line = buf.substr(line_start, lf - 1 - line_start);
  if (line.size() > limits.max_request_line) return Fail(414, "request line too long");

  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return Fail(400, "bad request line");
  std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!IsToken(c)) return Fail(400, "bad request line");
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == sp1 + 1 || sp2 == std::string_view::npos) return Fail(400, "bad request line");
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : target) {
    // '#' starts a fragment, which never belongs in a request (RFC 9112 section 3.2).
    if (!IsLineByte(c) || c == ' ' || c == '#') return Fail(400, "bad request target");
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return Fail(400, "bad request line");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return Fail(505, "HTTP version not supported");
  }
  const bool http10 = version[7] == '0';
  const Method m = MethodFromName(method);
  // Only origin-form ("/path?query") and, for OPTIONS, asterisk-form: we are no proxy.
  if (target == "*" ? m != Method::kOptions : target.front() != '/') {
    return Fail(400, "bad request target");
  }

  // --- Header section.
  pos = lf + 1;
  const size_t headers_start = pos;
  header_storage->clear();
  int host_count = 0;
  bool cl_seen = false;
  uint64_t content_length = 0;
  int te_count = 0;
  bool te_chunked = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  while (true) {
    const size_t used = pos - headers_start;
    size_t hlf =
        FindLf(buf, pos, limits.max_header_bytes + 1 - std::min(used, limits.max_header_bytes));
    if (hlf == std::string_view::npos) {
      if (n - headers_start > limits.max_header_bytes) return Fail(431, "headers too large");
      if (pos < n && IsOws(buf[pos])) return Fail(400, "bad header");  // obs-fold
      if (!PartialLineOk(buf.substr(pos), IsFieldByte)) return Fail(400, "bad header");
      return NeedMore();
    }
    if (hlf == pos || buf[hlf - 1] != '\r') return Fail(400, "bad line ending");
    if (hlf + 1 - headers_start > limits.max_header_bytes) {
      return Fail(431, "headers too large");
    }
    std::string_view hline = buf.substr(pos, hlf - 1 - pos);
    pos = hlf + 1;
    if (hline.empty()) break;
    Header h;
    if (IsOws(hline.front()) || !HeaderLine(hline, &h)) return Fail(400, "bad header");
    if (header_storage->size() >= limits.max_headers) return Fail(431, "too many headers");
    header_storage->push_back(h);

    // The few fields that frame the message; compared by length first to stay cheap.
    switch (h.name.size()) {
      case 4:
        if (IEquals(h.name, "host")) ++host_count;
        break;
      case 10:
        if (IEquals(h.name, "connection")) {
          std::string_view v = h.value;
          while (!v.empty()) {
            size_t comma = v.find(',');
            std::string_view token = TrimOws(v.substr(0, comma));
            if (IEquals(token, "close")) conn_close = true;
            if (IEquals(token, "keep-alive")) conn_keep_alive = true;
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
          }
        }
        break;
      case 14:
        if (IEquals(h.name, "content-length") &&
            !ParseContentLength(h.value, &cl_seen, &content_length)) {
          return Fail(400, "bad content-length");
        }
        break;
      case 17:
        if (IEquals(h.name, "transfer-encoding")) {
          ++te_count;
          te_chunked = IEquals(h.value, "chunked");
        }
        break;
      default:
        break;
    }
  }

  if (!http10 && host_count != 1) return Fail(400, "missing or repeated host header");
  if (te_count > 0) {
    // A request with both is the classic smuggling vector (RFC 9112 section 6.3): refuse it.
    if (cl_seen) return Fail(400, "both content-length and transfer-encoding");
    if (http10) return Fail(400, "transfer-encoding in an HTTP/1.0 request");
    if (te_count > 1 || !te_chunked) return Fail(501, "transfer-encoding not implemented");
  }

  // --- Body.
  std::string_view body;
  size_t end = pos;
  if (te_count > 0) {
    ParseResult walk = WalkChunked(buf, pos, limits, nullptr);
    if (walk.state != ParseState::kComplete) return walk;
    body_storage->clear();
    (void)WalkChunked(buf, pos, limits, body_storage);
    body = *body_storage;
    end = walk.consumed;
  } else if (cl_seen) {
    if (content_length > limits.max_body) return Fail(413, "request body too large");
    const size_t len = static_cast<size_t>(content_length);
    if (n - pos < len) return NeedMore();
    body = buf.substr(pos, len);
    end = pos + len;
  }

  out->method = m;
  out->method_name = method;
  out->target = target;
  size_t q = target.find('?');
  out->path = target.substr(0, q);
  out->query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  out->headers = std::span<const Header>(header_storage->data(), header_storage->size());
  out->body = body;
  out->keep_alive = http10 ? (conn_keep_alive && !conn_close) : !conn_close;

  ParseResult r;
  r.state = ParseState::kComplete;
  r.consumed = end;
  r.http_1_0 = http10;
  return r;
}

}  // namespace shoal::http
