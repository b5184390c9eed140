// cql_response: what every response body starts with (the tracing id, warnings and custom
// payload that the header flags announce, §2.2) and the parsers of the small responses:
// AUTHENTICATE, AUTH_CHALLENGE / AUTH_SUCCESS and SUPPORTED. RESULT is cql_result.h's, ERROR
// cql_error.h's; READY has an empty body, and EVENT is not parsed (shoal never registers, so a
// server sends none; a stray one is dropped by the connection).
//
// Ownership: the parsed values view the frame body. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/cassandra/cql_frame.h"

namespace shoal::store::cassandra {

// ResponseBody is a response frame's body split into the optional prefixes the header
// flags announce (§2.2) and the message itself. Warnings are common in normal operation
// (replication factor above node count, large batches), so every response goes through here.
struct ResponseBody {
  std::string_view tracing_id;  // 16 bytes when the tracing flag is set, else empty
  std::vector<std::string_view> warnings;
  std::string_view custom_payload;  // the raw [bytes map], checked
  std::string_view message;         // what the opcode's parser reads
};

// SplitResponseBody strips the prefixes. A still-compressed body is InvalidArgument: the
// connection inflates compressed frames (cql_compression.h) before anything parses them.
Result<ResponseBody> SplitResponseBody(const Frame& frame);

// ParseAuthenticate returns the authenticator class of AUTHENTICATE.
Result<std::string_view> ParseAuthenticate(std::string_view message);
// ParseAuthToken reads the [bytes] token of AUTH_CHALLENGE or AUTH_SUCCESS (null allowed).
Result<std::optional<std::string_view>> ParseAuthToken(std::string_view message);

struct SupportedOption {
  std::string_view key;
  std::vector<std::string_view> values;
};
// ParseSupported reads SUPPORTED's [string multimap], in the server's order.
Result<std::vector<SupportedOption>> ParseSupported(std::string_view message);

}  // namespace shoal::store::cassandra
