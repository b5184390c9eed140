// Fuzz target for the HTTP request parser (src/http/parser.h): libFuzzer feeds arbitrary
// bytes as one connection's pipelined input.
//
// Beyond "no crash, no sanitizer report" it checks the parser's contract:
//   - Complete consumes at least one byte and never more than it was given;
//   - every view in the Request points into the buffer (or the chunked body storage);
//   - the incremental property the session relies on: a prefix shorter than a complete
//     request is never itself Complete, and a prefix is refused only if the whole input is.
// Small limits make the 414/431/413 paths reachable. Single-threaded; no state between runs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/parser.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using shoal::http::Header;
  using shoal::http::Limits;
  using shoal::http::Parse;
  using shoal::http::ParseResult;
  using shoal::http::ParseState;
  using shoal::http::Request;

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
    if (r.state != ParseState::kComplete) {
      if (r.state == ParseState::kError) Check(r.status >= 400 && r.status <= 505);
      break;
    }
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
    const size_t cuts[] = {0, r.consumed / 3, r.consumed / 2, r.consumed - 1};
    for (size_t cut : cuts) {
      ParseResult p =
          Parse(input.substr(0, cut), limits, &scratch, &scratch_headers, &scratch_body);
      Check(p.state == ParseState::kNeedMore);
    }
    input.remove_prefix(r.consumed);
  }
  return 0;
}
