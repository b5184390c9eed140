// Parse: a strict, incremental HTTP/1.1 request parser over a byte buffer.
//
// The parser keeps no state between calls: the connection calls Parse on the bytes it has
// not consumed yet, and gets back Complete (with how many bytes the request took), NeedMore,
// or Error with the HTTP status to answer. Re-parsing a partial request from its start each
// time more bytes arrive costs at most a few microseconds at our limits (16 KiB of headers),
// and buys a parser with no resumable state machine to get wrong.
//
// What it accepts (RFC 9112, strictly; anything else is an error, never guessed at):
//   - request-line: token SP origin-form-or-* SP HTTP/1.x CRLF; empty lines (CRLF) before
//     it are skipped, as RFC 9112 section 2.2 allows (at most max_request_line bytes of them).
//   - lines end in CRLF only: a bare LF or a bare CR is 400 (no smuggling through lenient
//     line endings), and so are NUL and other control bytes.
//   - no obs-fold, no whitespace between a field name and its colon.
//   - HTTP/1.1 needs exactly one Host header.
//   - bodies: Content-Length (repeats must agree) or Transfer-Encoding: chunked, decoded
//     into `body_storage` bounded by max_body; chunk extensions and trailers are skipped.
//     Any other transfer coding is 501; both Content-Length and Transfer-Encoding is 400.
//
// Statuses: 400 malformed, 414 request line over max_request_line, 431 header section over
// max_header_bytes or more than max_headers fields, 413 body over max_body, 501 unsupported
// transfer coding, 505 HTTP version other than 1.0 and 1.1.
//
// Lifetimes: every view in the Request points into `buffer` (or `body_storage` for chunked
// bodies, `headers` into `header_storage`). Thread-safe: a pure function of its arguments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/handler.h"

namespace shoal::http {

struct Limits {
  size_t max_request_line = 8192;   // bytes of the request line, without its CRLF
  size_t max_header_bytes = 16384;  // bytes of the header section, CRLFs included
  size_t max_headers = 64;          // header fields
  size_t max_body = 1 << 20;        // bytes of the (decoded) body
};

enum class ParseState : unsigned char { kComplete, kNeedMore, kError };

struct ParseResult {
  ParseState state = ParseState::kNeedMore;
  size_t consumed = 0;       // kComplete: bytes of `buffer` the request used
  int status = 0;            // kError: the HTTP status to answer
  std::string_view message;  // kError: a static description for the error body
  bool http_1_0 = false;     // kComplete: the request said HTTP/1.0 (the reply then needs
                             // an explicit "Connection: keep-alive" to stay open)
};

// Parse reads one request from the start of `buffer` into `out`. `header_storage` is cleared
// and refilled (keep one per connection so its capacity is reused); `body_storage` receives a
// chunked body and is untouched otherwise.
ParseResult Parse(std::string_view buffer, const Limits& limits, Request* out,
                  std::vector<Header>* header_storage, std::string* body_storage);

// MethodFromName maps a method token to Method (kOther when it is not one we name).
Method MethodFromName(std::string_view name);

}  // namespace shoal::http
