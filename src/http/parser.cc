// The request parser; see parser.h for the grammar it accepts and the statuses it returns.
//
// Structure: a state machine over phases (request line, header lines, body framing, chunk
// size lines, chunk data, trailers). A line phase either consumes a whole CRLF-terminated
// line or reports NeedMore; the unterminated rest of a line is still checked for bytes that
// can never become valid, so garbage (a TLS hello, binary) is refused at once instead of
// after max_request_line bytes, and `scan_` remembers how far it was checked so that a line
// dribbled in one byte at a time is still examined once. Chunk data is appended to the body
// as it arrives. Thread-compatible (see parser.h).
#include "http/parser.h"

#include <algorithm>
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
// A decoded body's storage is kept for the next request up to this capacity.
constexpr size_t kKeepBody = 4096;

// ChunkSize parses a chunk-size line (without CRLF): hex digits, then optional whitespace and
// extensions. False when malformed.
bool ChunkSize(std::string_view line, uint64_t* size) {
  size_t i = 0;
  uint64_t v = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (Lower(c) >= 'a' && Lower(c) <= 'f') {
      digit = static_cast<unsigned>(Lower(c) - 'a' + 10);
    } else {
      break;
    }
    if (i >= 15) return false;  // > 2^60: never a real chunk
    v = v * 16 + digit;
  }
  if (i == 0) return false;
  std::string_view rest = line.substr(i);
  while (!rest.empty() && IsOws(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ';') return false;
  for (char c : rest) {
    if (!IsFieldByte(c)) return false;
  }
  *size = v;
  return true;
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

void RequestParser::Reset() {
  phase_ = Phase::kRequestLine;
  pos_ = scan_ = 0;
  method_at_ = method_size_ = target_at_ = target_size_ = 0;
  method_ = Method::kOther;
  http10_ = false;
  headers_start_ = 0;
  spans_.clear();
  headers_.clear();
  host_count_ = 0;
  cl_seen_ = false;
  content_length_ = 0;
  te_count_ = 0;
  te_chunked_ = false;
  conn_close_ = conn_keep_alive_ = false;
  body_start_ = 0;
  chunk_left_ = 0;
  trailer_start_ = 0;
  body_limit_ = limits_.max_body;
  if (body_.capacity() > kKeepBody) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
}

void RequestParser::ReleaseStorage() {
  std::vector<Span>().swap(spans_);
  std::vector<Header>().swap(headers_);
  std::string().swap(body_);
}

size_t RequestParser::storage_bytes() const {
  return body_.capacity() + spans_.capacity() * sizeof(Span) + headers_.capacity() * sizeof(Header);
}

size_t RequestParser::FindLineEnd(std::string_view buf, size_t window_end) const {
  const size_t from = std::max(scan_, pos_);
  const size_t end = std::min(buf.size(), window_end);
  if (from >= end) return std::string_view::npos;
  const void* p = std::memchr(buf.data() + from, '\n', end - from);
  if (p == nullptr) return std::string_view::npos;
  return static_cast<size_t>(static_cast<const char*>(p) - buf.data());
}

// PartialLineOk reports whether the unterminated line at pos_ can still become valid: only
// allowed bytes, and a CR only as its very last byte (the CRLF may be half there). Only the
// bytes not checked by an earlier call are examined, and the last one again (a CR that was
// last may not be any more).
template <typename Pred>
bool RequestParser::PartialLineOk(std::string_view buf, Pred allowed) {
  const size_t from = scan_ > pos_ ? scan_ - 1 : pos_;
  for (size_t i = from; i < buf.size(); ++i) {
    if (buf[i] == '\r' && i + 1 == buf.size()) break;
    if (!allowed(buf[i])) return false;
  }
  scan_ = buf.size();
  return true;
}

ParseResult RequestParser::Parse(std::string_view buf, Request* out) {
  ParseResult r;
  if (phase_ == Phase::kRequestLine) {
    r = RequestLine(buf);
    if (phase_ == Phase::kRequestLine) return r;
  }
  if (phase_ == Phase::kHeaders) {
    r = Headers(buf, out);
    if (phase_ == Phase::kHeaders || r.state != ParseState::kNeedMore) return r;
  } else if (phase_ == Phase::kHeadDone) {
    r = HeadDone();
    if (r.state != ParseState::kNeedMore) return r;
  }
  if (phase_ == Phase::kLengthBody) {
    if (buf.size() - body_start_ < content_length_) return NeedMore();
    pos_ = body_start_ + static_cast<size_t>(content_length_);
    return Finish(buf, out);
  }
  if (phase_ == Phase::kChunkSize || phase_ == Phase::kChunkData ||
      phase_ == Phase::kChunkDataEnd) {
    r = Chunks(buf);
    if (phase_ != Phase::kTrailers) return r;
  }
  if (phase_ == Phase::kTrailers) {
    r = Trailers(buf);
    if (phase_ != Phase::kDone) return r;
    return Finish(buf, out);
  }
  return Fail(400, "request already parsed");  // kDone: the caller forgot Reset
}

ParseResult RequestParser::RequestLine(std::string_view buf) {
  const size_t n = buf.size();
  // Empty lines before the request line (RFC 9112 section 2.2), e.g. a stray CRLF after a
  // previous request's body. Bounded like the request line itself.
  if (scan_ <= pos_) {
    while (pos_ + 1 < n && buf[pos_] == '\r' && buf[pos_ + 1] == '\n') {
      pos_ += 2;
      if (pos_ > limits_.max_request_line) return Fail(400, "bad request line");
    }
    if (pos_ == n || (pos_ + 1 == n && buf[pos_] == '\r')) return NeedMore();
  }

  const size_t line_start = pos_;
  const size_t lf = FindLineEnd(buf, line_start + limits_.max_request_line + 2);
  if (lf == std::string_view::npos) {
    if (n - line_start >= limits_.max_request_line + 2) return Fail(414, "request line too long");
    if (!PartialLineOk(buf, IsLineByte)) return Fail(400, "bad request line");
    return NeedMore();
  }
  if (lf == line_start || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
  std::string_view line = buf.substr(line_start, lf - 1 - line_start);
  if (line.size() > limits_.max_request_line) return Fail(414, "request line too long");

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
  http10_ = version[7] == '0';
  method_ = MethodFromName(method);
  // Only origin-form ("/path?query") and, for OPTIONS, asterisk-form: we are no proxy.
  if (target == "*" ? method_ != Method::kOptions : target.front() != '/') {
    return Fail(400, "bad request target");
  }
  method_at_ = line_start;
  method_size_ = method.size();
  target_at_ = line_start + sp1 + 1;
  target_size_ = target.size();
  pos_ = lf + 1;
  headers_start_ = pos_;
  phase_ = Phase::kHeaders;
  return NeedMore();
}

ParseResult RequestParser::Headers(std::string_view buf, Request* out) {
  const size_t n = buf.size();
  while (true) {
    const size_t lf = FindLineEnd(buf, headers_start_ + limits_.max_header_bytes + 1);
    if (lf == std::string_view::npos) {
      if (n - headers_start_ > limits_.max_header_bytes) return Fail(431, "headers too large");
      if (pos_ < n && IsOws(buf[pos_])) return Fail(400, "bad header");  // obs-fold
      if (!PartialLineOk(buf, IsFieldByte)) return Fail(400, "bad header");
      return NeedMore();
    }
    if (lf == pos_ || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
    if (lf + 1 - headers_start_ > limits_.max_header_bytes) {
      return Fail(431, "headers too large");
    }
    std::string_view hline = buf.substr(pos_, lf - 1 - pos_);
    const size_t line_at = pos_;
    pos_ = lf + 1;
    if (hline.empty()) break;
    Header h;
    if (IsOws(hline.front()) || !HeaderLine(hline, &h)) return Fail(400, "bad header");
    if (spans_.size() >= limits_.max_headers) return Fail(431, "too many headers");
    spans_.push_back(Span{line_at, h.name.size(),
                          line_at + static_cast<size_t>(h.value.data() - hline.data()),
                          h.value.size()});

    // The few fields that frame the message; compared by length first to stay cheap.
    switch (h.name.size()) {
      case 4:
        if (IEquals(h.name, "host")) ++host_count_;
        break;
      case 10:
        if (IEquals(h.name, "connection")) {
          std::string_view v = h.value;
          while (!v.empty()) {
            size_t comma = v.find(',');
            std::string_view token = TrimOws(v.substr(0, comma));
            if (IEquals(token, "close")) conn_close_ = true;
            if (IEquals(token, "keep-alive")) conn_keep_alive_ = true;
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
          }
        }
        break;
      case 14:
        if (IEquals(h.name, "content-length") &&
            !ParseContentLength(h.value, &cl_seen_, &content_length_)) {
          return Fail(400, "bad content-length");
        }
        break;
      case 17:
        if (IEquals(h.name, "transfer-encoding")) {
          ++te_count_;
          te_chunked_ = IEquals(h.value, "chunked");
        }
        break;
      default:
        break;
    }
  }

  if (!http10_ && host_count_ != 1) return Fail(400, "missing or repeated host header");
  if (te_count_ > 0) {
    // A request with both is the classic smuggling vector (RFC 9112 section 6.3): refuse it.
    if (cl_seen_) return Fail(400, "both content-length and transfer-encoding");
    if (http10_) return Fail(400, "transfer-encoding in an HTTP/1.0 request");
    if (te_count_ > 1 || !te_chunked_) return Fail(501, "transfer-encoding not implemented");
  } else if (cl_seen_ && content_length_ > limits_.max_body) {
    return Fail(413, "request body too large");
  }
  body_start_ = pos_;
  if (te_count_ == 0 && content_length_ == 0) {
    phase_ = Phase::kDone;
    return Finish(buf, out);
  }
  phase_ = Phase::kHeadDone;
  FillHead(buf, out);
  ParseResult r;
  r.state = ParseState::kHead;
  r.http_1_0 = http10_;
  return r;
}

ParseResult RequestParser::HeadDone() {
  if (te_count_ > 0) {
    if (body_limit_ == 0) return Fail(413, "this request takes no body");
    phase_ = Phase::kChunkSize;
  } else {
    if (content_length_ > body_limit_) {
      return Fail(413, body_limit_ == 0 ? "this request takes no body" : "request body too large");
    }
    phase_ = Phase::kLengthBody;
  }
  return NeedMore();
}

ParseResult RequestParser::Chunks(std::string_view buf) {
  // Framing may at most double the body (plus slack) before we call it too large: it bounds
  // the bytes a connection must buffer for one request.
  const size_t max_raw = 2 * body_limit_ + kMaxChunkLine;
  const size_t n = buf.size();
  while (true) {
    if (pos_ - body_start_ > max_raw) return Fail(413, "request body too large");
    if (phase_ == Phase::kChunkData) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_left_, n - pos_));
      body_.append(buf.data() + pos_, take);
      pos_ += take;
      chunk_left_ -= take;
      if (chunk_left_ > 0) return NeedMore();
      phase_ = Phase::kChunkDataEnd;
    }
    if (phase_ == Phase::kChunkDataEnd) {
      if (n - pos_ < 2) {
        if (pos_ < n && buf[pos_] != '\r') return Fail(400, "bad chunk data");
        return NeedMore();
      }
      if (buf[pos_] != '\r' || buf[pos_ + 1] != '\n') return Fail(400, "bad chunk data");
      pos_ += 2;
      phase_ = Phase::kChunkSize;
    }
    const size_t lf = FindLineEnd(buf, pos_ + kMaxChunkLine);
    if (lf == std::string_view::npos) {
      if (n - pos_ >= kMaxChunkLine) return Fail(400, "bad chunk size line");
      if (!PartialLineOk(buf, IsFieldByte)) return Fail(400, "bad chunk size line");
      return NeedMore();
    }
    if (lf == pos_ || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
    uint64_t size = 0;
    if (!ChunkSize(buf.substr(pos_, lf - 1 - pos_), &size)) return Fail(400, "bad chunk size");
    pos_ = lf + 1;
    if (size == 0) {
      trailer_start_ = pos_;
      phase_ = Phase::kTrailers;
      return NeedMore();
    }
    if (size > body_limit_ - body_.size()) return Fail(413, "request body too large");
    chunk_left_ = size;
    phase_ = Phase::kChunkData;
  }
}

// Trailer section: header lines up to an empty line; checked, bounded, then ignored.
ParseResult RequestParser::Trailers(std::string_view buf) {
  const size_t n = buf.size();
  while (true) {
    const size_t lf = FindLineEnd(buf, trailer_start_ + limits_.max_header_bytes + 1);
    if (lf == std::string_view::npos) {
      if (n - trailer_start_ > limits_.max_header_bytes) {
        return Fail(431, "trailer section too large");
      }
      if (!PartialLineOk(buf, IsFieldByte)) return Fail(400, "bad trailer");
      return NeedMore();
    }
    if (lf == pos_ || buf[lf - 1] != '\r') return Fail(400, "bad line ending");
    if (lf + 1 - trailer_start_ > limits_.max_header_bytes) {
      return Fail(431, "trailer section too large");
    }
    std::string_view line = buf.substr(pos_, lf - 1 - pos_);
    pos_ = lf + 1;
    if (line.empty()) break;
    Header ignored;
    if (IsOws(line.front()) || !HeaderLine(line, &ignored)) return Fail(400, "bad trailer");
  }
  phase_ = Phase::kDone;
  return NeedMore();
}

void RequestParser::FillHead(std::string_view buf, Request* out) {
  headers_.clear();
  for (const Span& s : spans_) {
    headers_.push_back(
        Header{buf.substr(s.name_at, s.name_size), buf.substr(s.value_at, s.value_size)});
  }
  const std::string_view target = buf.substr(target_at_, target_size_);
  out->method = method_;
  out->method_name = buf.substr(method_at_, method_size_);
  out->target = target;
  const size_t q = target.find('?');
  out->path = target.substr(0, q);
  out->query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  out->headers = std::span<const Header>(headers_.data(), headers_.size());
  out->body = {};
  out->keep_alive = http10_ ? (conn_keep_alive_ && !conn_close_) : !conn_close_;
}

ParseResult RequestParser::Finish(std::string_view buf, Request* out) {
  phase_ = Phase::kDone;
  FillHead(buf, out);
  if (te_count_ > 0) {
    out->body = body_;
  } else {
    out->body = buf.substr(body_start_, static_cast<size_t>(content_length_));
  }
  ParseResult r;
  r.state = ParseState::kComplete;
  r.consumed = pos_;
  r.http_1_0 = http10_;
  return r;
}

ParseResult Parse(std::string_view buf, const Limits& limits, Request* out,
                  std::vector<Header>* header_storage, std::string* body_storage) {
  RequestParser parser(limits);
  ParseResult r = parser.Parse(buf, out);
  if (r.state == ParseState::kHead) r = parser.Parse(buf, out);
  if (r.state != ParseState::kComplete) return r;
  header_storage->assign(out->headers.begin(), out->headers.end());
  out->headers = std::span<const Header>(header_storage->data(), header_storage->size());
  if (parser.chunked()) {
    body_storage->assign(out->body);
    out->body = *body_storage;
  }
  return r;
}

}  // namespace shoal::http
