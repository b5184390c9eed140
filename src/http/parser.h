// RequestParser: a strict HTTP/1.1 request parser that resumes where it stopped.
//
// A connection keeps one RequestParser and calls Parse each time more bytes of the current
// request arrive; the parser keeps its place (the line it is in and how far that line has
// been checked, the header fields as offsets, the framing, the chunk cursor and the decoded
// body), so each byte of a request is examined a bounded number of times, whatever the reads
// it arrives in: receiving a body costs time linear in its size (security review H1). Parse
// returns Complete (with how many bytes the request took), NeedMore, Head (the header section
// is in and announces a body: the caller may lower the body limit before the body is read), or
// Error with the HTTP status to answer.
//
// What it accepts (RFC 9112, strictly; anything else is an error, never guessed at):
//   - request-line: token SP origin-form-or-* SP HTTP/1.x CRLF; empty lines (CRLF) before
//     it are skipped, as RFC 9112 section 2.2 allows (at most max_request_line bytes of them).
//   - lines end in CRLF only: a bare LF or a bare CR is 400 (no smuggling through lenient
//     line endings), and so are NUL and other control bytes.
//   - no obs-fold, no whitespace between a field name and its colon.
//   - HTTP/1.1 needs exactly one Host header.
//   - bodies: Content-Length (repeats must agree) or Transfer-Encoding: chunked, decoded
//     as the chunks arrive, bounded by max_body (or the lower LimitBody); chunk extensions
//     and trailers are checked and skipped; chunk framing may at most double the body.
//     Any other transfer coding is 501; both Content-Length and Transfer-Encoding is 400.
//
// Statuses: 400 malformed, 414 request line over max_request_line, 431 header section over
// max_header_bytes or more than max_headers fields, 413 body over max_body (or LimitBody), 501
// unsupported transfer coding, 505 HTTP version other than 1.0 and 1.1.
//
// Lifetimes: the parser keeps offsets, never pointers, so the caller may move its buffer between
// calls (only appending to it). The views of a Request it fills point into the buffer of that
// call, the headers and a chunked body into the parser's own storage, until the next call of
// Parse or Reset. Thread-compatible: one parser per connection, used by one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/handler.h"

namespace shoal::http {

struct Limits {
  size_t max_request_line = 8192;      // bytes of the request line, without its CRLF
  size_t max_header_bytes = 16384;     // bytes of the header section, CRLFs included
  size_t max_headers = 64;             // header fields
  size_t max_body = size_t{64} << 10;  // bytes of the (decoded) body
};

// kHead is returned at most once per request, only by RequestParser::Parse, and only when the
// request has a body (Content-Length above 0, or chunked).
enum class ParseState : unsigned char { kComplete, kNeedMore, kError, kHead };

struct ParseResult {
  ParseState state = ParseState::kNeedMore;
  size_t consumed = 0;       // kComplete: bytes of `buffer` the request used
  int status = 0;            // kError: the HTTP status to answer
  std::string_view message;  // kError: a static description for the error body
  bool http_1_0 = false;     // kComplete: the request said HTTP/1.0 (the reply then needs
                             // an explicit "Connection: keep-alive" to stay open)
};

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits) : limits_(limits), body_limit_(limits.max_body) {}

  // Parse continues reading the request that starts at buffer[0]. Between calls the buffer may
  // only grow at its end (its bytes may move in memory). kHead: `out` holds the method, target
  // and headers (no body yet); call LimitBody if wanted, then Parse again. kComplete: `out`
  // holds the whole request. kError and kComplete are final: Reset before the next request.
  ParseResult Parse(std::string_view buffer, Request* out);

  // LimitBody lowers this request's body limit (never above Limits::max_body), after kHead:
  // the next Parse answers 413 at once for a Content-Length over it, or for a chunked body
  // when it is 0, and a chunked body that grows over it is 413 when it does.
  void LimitBody(size_t limit) { body_limit_ = std::min(limit, limits_.max_body); }

  // Reset makes the parser ready for the next request. A decoded body's storage is released
  // beyond a few KiB, so a connection does not keep a large body's memory for its life.
  void Reset();
  // ReleaseStorage frees what Reset keeps for the next request (header vectors, a decoded
  // body's capacity): for a connection gone idle. Call after Reset.
  void ReleaseStorage();

  // storage_bytes is the capacity of what the parser holds for the connection (decoded body,
  // header fields), for accounting.
  size_t storage_bytes() const;

  // chunked: the request being parsed has a chunked body (known once its head is in).
  bool chunked() const { return te_count_ > 0; }

 private:
  enum class Phase : unsigned char {
    kRequestLine,
    kHeaders,
    kHeadDone,  // kHead was returned; the body limit is checked on the next call
    kLengthBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
  };
  struct Span {
    size_t name_at, name_size, value_at, value_size;
  };

  ParseResult RequestLine(std::string_view buf);
  ParseResult Headers(std::string_view buf, Request* out);
  ParseResult HeadDone();
  ParseResult Chunks(std::string_view buf);
  ParseResult Trailers(std::string_view buf);
  ParseResult Finish(std::string_view buf, Request* out);
  void FillHead(std::string_view buf, Request* out);
  size_t FindLineEnd(std::string_view buf, size_t window_end) const;
  template <typename Pred>
  bool PartialLineOk(std::string_view buf, Pred allowed);

  const Limits limits_;
  size_t body_limit_;
  Phase phase_ = Phase::kRequestLine;
  size_t pos_ = 0;   // start of the first byte not parsed yet (a line, chunk data, ...)
  size_t scan_ = 0;  // the line at pos_ has been checked up to here (when beyond pos_)
  // Request line.
  size_t method_at_ = 0, method_size_ = 0, target_at_ = 0, target_size_ = 0;
  Method method_ = Method::kOther;
  bool http10_ = false;
  // Header section.
  size_t headers_start_ = 0;
  std::vector<Span> spans_;
  std::vector<Header> headers_;  // views of spans_ into the latest buffer
  int host_count_ = 0;
  bool cl_seen_ = false;
  uint64_t content_length_ = 0;
  int te_count_ = 0;
  bool te_chunked_ = false;
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;
  // Body.
  size_t body_start_ = 0;  // first byte after the header section
  uint64_t chunk_left_ = 0;
  size_t trailer_start_ = 0;
  std::string body_;  // a chunked body, decoded as its chunks arrive
};

// Parse reads one request from the start of `buffer` into `out` in one go (no kHead), with a
// parser of its own: what fuzzing and the parser's tests use. `header_storage` is cleared and
// refilled; `body_storage` receives a chunked body and is untouched otherwise; the Request's
// views point into `buffer` and these.
ParseResult Parse(std::string_view buffer, const Limits& limits, Request* out,
                  std::vector<Header>* header_storage, std::string* body_storage);

// MethodFromName maps a method token to Method (kOther when it is not one we name).
Method MethodFromName(std::string_view name);

}  // namespace shoal::http
