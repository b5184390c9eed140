// cql_request: see cql_request.h.
#include "store/cassandra/cql_request.h"

#include <cassert>

#include "base/big_endian.h"

namespace shoal::store::cassandra {
namespace {

// BeginFrame appends a request header whose length FinishFrame patches in, so a body is
// written once, straight into `out`.
size_t BeginFrame(std::string& out, int16_t stream, Opcode op) {
  assert(stream >= 0 && "negative stream ids belong to the server");
  const size_t start = out.size();
  FrameHeader h;
  h.stream = stream;
  h.opcode = op;
  AppendFrameHeader(out, h);
  return start;
}

Status FinishFrame(std::string& out, size_t start) {
  const size_t body = out.size() - start - kFrameHeaderSize;
  if (body > kMaxBodyLimit) {
    out.resize(start);
    return Status::InvalidArgument("cql: request body of " + std::to_string(body) +
                                   " bytes exceeds the protocol's " +
                                   std::to_string(kMaxBodyLimit));
  }
  StoreBigEndian32(out.data() + start + 5, static_cast<uint32_t>(body));
  return Status();
}

// Abandon drops a half-written frame and returns `s`.
Status Abandon(std::string& out, size_t start, Status s) {
  out.resize(start);
  return s;
}

// AppendQueryParameters writes <consistency><flags>[...] (§4.1.4).
Status AppendQueryParameters(std::string& out, const QueryParameters& p) {
  // Check the values really are value_count [value]s: a miscount would shift every later
  // field and the server would read garbage.
  WireReader values(p.values);
  for (uint32_t i = 0; i < p.value_count; ++i) {
    int32_t n = 0;
    std::string_view skipped;
    if (!values.Int(&n) || n < -2 || (n >= 0 && !values.Raw(static_cast<size_t>(n), &skipped))) {
      return Status::InvalidArgument("cql: bound values hold fewer than " +
                                     std::to_string(p.value_count) + " [value]s");
    }
  }
  if (values.remaining() != 0) {
    return Status::InvalidArgument("cql: bound values hold more than " +
                                   std::to_string(p.value_count) + " [value]s");
  }
  if (p.serial_consistency && *p.serial_consistency != Consistency::kSerial &&
      *p.serial_consistency != Consistency::kLocalSerial) {
    return Status::InvalidArgument("cql: serial consistency must be SERIAL or LOCAL_SERIAL");
  }
  if (p.default_timestamp && *p.default_timestamp < 0) {
    return Status::InvalidArgument("cql: the default timestamp may not be negative");
  }
  if (p.paging_state && p.paging_state->size() > kMaxIntLength) {
    return Status::InvalidArgument("cql: paging state too long");
  }
  uint8_t flags = 0;
  if (p.value_count > 0) flags |= query_flag::kValues;
  if (p.skip_metadata) flags |= query_flag::kSkipMetadata;
  if (p.page_size > 0) flags |= query_flag::kPageSize;
  if (p.paging_state) flags |= query_flag::kPagingState;
  if (p.serial_consistency) flags |= query_flag::kSerialConsistency;
  if (p.default_timestamp) flags |= query_flag::kDefaultTimestamp;

  AppendShort(out, static_cast<uint16_t>(p.consistency));
  AppendByte(out, flags);
  if (flags & query_flag::kValues) {
    AppendShort(out, p.value_count);
    out.append(p.values);
  }
  if (flags & query_flag::kPageSize) AppendInt(out, p.page_size);
  if (flags & query_flag::kPagingState) AppendValue(out, *p.paging_state);
  if (flags & query_flag::kSerialConsistency) {
    AppendShort(out, static_cast<uint16_t>(*p.serial_consistency));
  }
  if (flags & query_flag::kDefaultTimestamp) AppendLong(out, *p.default_timestamp);
  return Status();
}

}  // namespace

std::string_view ConsistencyName(uint16_t consistency) {
  static constexpr std::string_view kNames[] = {
      "ANY",          "ONE",         "TWO",    "THREE",        "QUORUM",   "ALL",
      "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"};
  return consistency < std::size(kNames) ? kNames[consistency] : "?";
}

Status AppendStartup(std::string& out, int16_t stream, std::span<const StartupOption> extra) {
  if (extra.size() + 1 > kMaxShortLength) {
    return Status::InvalidArgument("cql: too many STARTUP options");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kStartup);
  AppendShort(out, static_cast<uint16_t>(extra.size() + 1));
  AppendString(out, "CQL_VERSION");
  AppendString(out, "3.0.0");
  for (const StartupOption& o : extra) {
    if (!AppendString(out, o.key) || !AppendString(out, o.value)) {
      return Abandon(out, start, Status::InvalidArgument("cql: STARTUP option too long"));
    }
  }
  return FinishFrame(out, start);
}

void AppendOptions(std::string& out, int16_t stream) {
  BeginFrame(out, stream, Opcode::kOptions);  // the body is empty: the length is already 0
}

Status AppendAuthResponse(std::string& out, int16_t stream, std::optional<std::string_view> token) {
  if (token && token->size() > kMaxIntLength) {
    return Status::InvalidArgument("cql: authentication token too long");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kAuthResponse);
  if (token) {
    AppendValue(out, *token);
  } else {
    AppendNullValue(out);
  }
  return FinishFrame(out, start);
}

Status AppendPasswordAuthResponse(std::string& out, int16_t stream, std::string_view user,
                                  std::string_view password) {
  if (user.find('\0') != std::string_view::npos || password.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("cql: a user name or password may not contain NUL");
  }
  if (user.size() + password.size() + 2 > kMaxIntLength) {
    return Status::InvalidArgument("cql: credentials too long");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kAuthResponse);
  AppendInt(out, static_cast<int32_t>(user.size() + password.size() + 2));
  out.push_back('\0');  // empty authorization id: act as the authenticated user
  out.append(user);
  out.push_back('\0');
  out.append(password);
  return FinishFrame(out, start);
}

Status AppendPrepare(std::string& out, int16_t stream, std::string_view query) {
  const size_t start = BeginFrame(out, stream, Opcode::kPrepare);
  if (!AppendLongString(out, query)) {
    return Abandon(out, start, Status::InvalidArgument("cql: query too long"));
  }
  return FinishFrame(out, start);
}

Status AppendQuery(std::string& out, int16_t stream, std::string_view query,
                   const QueryParameters& params) {
  const size_t start = BeginFrame(out, stream, Opcode::kQuery);
  if (!AppendLongString(out, query)) {
    return Abandon(out, start, Status::InvalidArgument("cql: query too long"));
  }
  Status s = AppendQueryParameters(out, params);
  if (!s.ok()) return Abandon(out, start, std::move(s));
  return FinishFrame(out, start);
}

Status AppendExecute(std::string& out, int16_t stream, std::string_view id,
                     const QueryParameters& params) {
  if (id.size() > kMaxShortLength) return Status::InvalidArgument("cql: prepared id too long");
  const size_t start = BeginFrame(out, stream, Opcode::kExecute);
  AppendString(out, id);  // [short bytes] and [string] share their layout
  Status s = AppendQueryParameters(out, params);
  if (!s.ok()) return Abandon(out, start, std::move(s));
  return FinishFrame(out, start);
}

}  // namespace shoal::store::cassandra
