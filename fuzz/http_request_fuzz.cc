// Fuzz target for the HTTP request parser (src/http/parser.h): libFuzzer feeds arbitrary
// bytes as one connection's pipelined input.
//
// The first two bytes are not input: they seed where the input is cut into reads. The rest is
// parsed twice, as a connection would see it:
//   - one-shot: Parse on the whole buffer (up to a few pipelined requests);
//   - incrementally: a RequestParser per request, fed the buffer in pieces whose sizes the
//     seed chooses (1 to 64 bytes), the buffer moving in memory at every read as a session's
//     does; after kHead it goes on, sometimes after LimitBody at the limit (no change).
// Beyond "no crash, no sanitizer report" it checks the parser's contract:
//   - both ways agree: the same state, consumed bytes, method, target, headers and body,
//     whatever the cut points (the state kept across reads is the state a one-shot
//     parse reaches);
//   - Complete consumes at least one byte and never more than it was given;
//   - every view in the Request points into the buffer (or the chunked body storage);
//   - a prefix shorter than a complete request is never itself Complete, and a prefix is
//     refused only if the whole input is.
// Small limits make the 414/431/413 paths reachable. Single-threaded; no state between runs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/parser.h"

namespace {

using shoal::http::Header;
using shoal::http::Limits;
using shoal::http::Parse;
using shoal::http::ParseResult;
using shoal::http::ParseState;
using shoal::http::Request;
using shoal::http::RequestParser;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// A copy of what a Request says, to compare two parses after their buffers have changed.
struct Seen {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = false;
  bool operator==(const Seen&) const = default;
};

Seen Copy(const Request& r) {
  Seen s{std::string(r.method_name), std::string(r.target), std::string(r.body), {}, r.keep_alive};
  for (const Header& h : r.headers) s.headers.emplace_back(h.name, h.value);
  return s;
}

// Cuts yields piece sizes of 1 to 64 bytes from a seed (a small xorshift).
class Cuts {
 public:
  explicit Cuts(uint32_t seed) : state_(seed * 2654435761u + 1) {}
  size_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    // Mostly tiny pieces (which cut lines and CRLFs), sometimes larger ones.
    return (state_ & 3) == 0 ? 1 + (state_ >> 8) % 64 : 1 + (state_ >> 8) % 4;
  }
  bool Coin() { return (Next() & 1) == 0; }

 private:
  uint32_t state_;
};

// Incremental parses the request at the start of `input` with a RequestParser fed in pieces.
ParseResult Incremental(std::string_view input, const Limits& limits, Cuts& cuts, Seen* seen) {
  RequestParser parser(limits);
  std::string buf;
  Request req;
  ParseResult r;
  size_t at = 0;
  while (true) {
    const size_t n = std::min(cuts.Next(), input.size() - at);
    std::string moved;  // a new allocation each read: the parser must keep offsets only
    moved.reserve(buf.size() + n);
    moved = buf;
    moved.append(input.substr(at, n));
    buf.swap(moved);
    at += n;
    r = parser.Parse(buf, &req);
    if (r.state == ParseState::kHead) {
      Check(req.body.empty());
      if (cuts.Coin()) parser.LimitBody(limits.max_body);
      r = parser.Parse(buf, &req);
      Check(r.state != ParseState::kHead);  // once per request
    }
    if (r.state != ParseState::kNeedMore || at == input.size()) break;
  }
  if (r.state == ParseState::kComplete) {
    Check(r.consumed > 0 && r.consumed <= buf.size());
    *seen = Copy(req);
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Cuts cuts(static_cast<uint32_t>(data[0]) << 8 | data[1]);
  data += 2;
  size -= 2;

  Limits limits;
  limits.max_request_line = 256;
  limits.max_header_bytes = 512;
  limits.max_headers = 8;
  limits.max_body = 1024;

  std::string_view input(reinterpret_cast<const char*>(data), size);
  Request request;
  std::vector<Header> headers;
  std::string body;

  // Up to a few pipelined requests, as a connection would parse them.
  for (int i = 0; i < 8 && !input.empty(); ++i) {
    ParseResult r = Parse(input, limits, &request, &headers, &body);
    Check(r.state != ParseState::kHead);

    Seen piecewise;
    ParseResult p = Incremental(input, limits, cuts, &piecewise);
    // The same state; not always the same error status: with more bytes in hand a check
    // on a line's length may come before the one on a byte in it (414 vs 400), as it did
    // before the parser kept state.
    Check(p.state == r.state);

    if (r.state != ParseState::kComplete) {
      if (r.state == ParseState::kError) Check(r.status >= 400 && r.status <= 505);
      break;
    }
    Check(p.consumed == r.consumed && p.http_1_0 == r.http_1_0);
    Check(piecewise == Copy(request));

    Check(r.consumed > 0 && r.consumed <= input.size());
    std::string_view used = input.substr(0, r.consumed);
    Check(Inside(request.method_name, used) && Inside(request.target, used));
    Check(Inside(request.path, request.target) && Inside(request.query, request.target));
    Check(Inside(request.body, used) || Inside(request.body, body));
    Check(request.headers.size() <= limits.max_headers);
    for (const Header& h : request.headers) Check(Inside(h.name, used) && Inside(h.value, used));

    // Prefixes: never Complete; refused only if the whole request was (it was not).
    // A few cut points, not all, to keep each run fast.
    std::vector<Header> scratch_headers;
    std::string scratch_body;
    Request scratch;
    const size_t prefix_cuts[] = {0, r.consumed / 3, r.consumed / 2, r.consumed - 1};
    for (size_t cut : prefix_cuts) {
      ParseResult q =
          Parse(input.substr(0, cut), limits, &scratch, &scratch_headers, &scratch_body);
      Check(q.state == ParseState::kNeedMore);
    }
    input.remove_prefix(r.consumed);
  }
  return 0;
}
