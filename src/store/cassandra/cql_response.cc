// cql_response: see cql_response.h.
#include "store/cassandra/cql_response.h"

#include <algorithm>

#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

Result<ResponseBody> SplitResponseBody(const Frame& frame) {
  const uint8_t flags = frame.header.flags;
  if (flags & frame_flag::kCompression) {
    return Status::InvalidArgument("cql: compressed " +
                                   std::string(OpcodeName(frame.header.opcode)) +
                                   " body, but no compression was negotiated");
  }
  ResponseBody out;
  WireReader in(frame.body);
  if ((flags & frame_flag::kTracing) && !in.Raw(16, &out.tracing_id)) {
    return TruncatedError("tracing id");
  }
  if ((flags & frame_flag::kWarning) && !in.StringList(&out.warnings)) {
    return TruncatedError("warnings");
  }
  if (flags & frame_flag::kCustomPayload) {
    const std::string_view start = in.rest();
    uint16_t n = 0;
    if (!in.Short(&n)) return TruncatedError("custom payload");
    for (uint16_t i = 0; i < n; ++i) {
      std::string_view key;
      std::optional<std::string_view> value;
      if (!in.String(&key) || !in.Bytes(&value)) return TruncatedError("custom payload");
    }
    out.custom_payload = start.substr(0, start.size() - in.remaining());
  }
  out.message = in.rest();
  return out;
}

Result<std::string_view> ParseAuthenticate(std::string_view message) {
  WireReader in(message);
  std::string_view cls;
  if (!in.String(&cls)) return TruncatedError("AUTHENTICATE");
  return cls;
}

Result<std::optional<std::string_view>> ParseAuthToken(std::string_view message) {
  WireReader in(message);
  std::optional<std::string_view> token;
  if (!in.Bytes(&token)) return TruncatedError("authentication token");
  return token;
}

Result<std::vector<SupportedOption>> ParseSupported(std::string_view message) {
  WireReader in(message);
  uint16_t n = 0;
  if (!in.Short(&n)) return TruncatedError("SUPPORTED");
  std::vector<SupportedOption> out;
  out.reserve(std::min<size_t>(n, in.remaining() / 4));
  for (uint16_t i = 0; i < n; ++i) {
    SupportedOption o;
    if (!in.String(&o.key) || !in.StringList(&o.values)) return TruncatedError("SUPPORTED");
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace shoal::store::cassandra
