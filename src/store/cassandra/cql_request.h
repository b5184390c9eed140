// cql_request: builders for the requests shoal sends (§4.1 of native_protocol_v4.spec):
// STARTUP, OPTIONS, AUTH_RESPONSE, PREPARE, QUERY and EXECUTE with their query parameters.
// REGISTER and BATCH are not implemented (shoal never registers for events, and reads through
// single statements).
//
// Each builder appends one whole frame (header and body) to `out`; on an error (a field too
// long for its length prefix, a NUL in a credential, miscounted values) it appends nothing.
// REQUIRES for every builder: stream >= 0 (negative ids are the server's, §2.3).
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

enum class Consistency : uint16_t {
  kAny = 0x0000,
  kOne = 0x0001,
  kTwo = 0x0002,
  kThree = 0x0003,
  kQuorum = 0x0004,
  kAll = 0x0005,
  kLocalQuorum = 0x0006,
  kEachQuorum = 0x0007,
  kSerial = 0x0008,
  kLocalSerial = 0x0009,
  kLocalOne = 0x000A,
};

// ConsistencyName returns "QUORUM", "LOCAL_ONE", ..., or "?" for a value outside the list.
std::string_view ConsistencyName(uint16_t consistency);

struct StartupOption {
  std::string_view key;
  std::string_view value;
};

// AppendStartup appends STARTUP with CQL_VERSION=3.0.0 (the only value the v4 spec defines;
// servers accept any 3.x) followed by `extra` options (DRIVER_NAME, THROW_ON_OVERLOAD ...).
Status AppendStartup(std::string& out, int16_t stream, std::span<const StartupOption> extra = {});

// AppendOptions appends OPTIONS (answered by SUPPORTED; doubles as a heartbeat).
void AppendOptions(std::string& out, int16_t stream);

// AppendAuthResponse appends AUTH_RESPONSE carrying `token` (std::nullopt sends null).
Status AppendAuthResponse(std::string& out, int16_t stream, std::optional<std::string_view> token);
// AppendPasswordAuthResponse answers PasswordAuthenticator (SASL PLAIN): the token is
// "\0user\0password". The server finds the fields by their NULs, so neither may hold one.
Status AppendPasswordAuthResponse(std::string& out, int16_t stream, std::string_view user,
                                  std::string_view password);

// AppendPrepare appends PREPARE (answered by a Prepared RESULT).
Status AppendPrepare(std::string& out, int16_t stream, std::string_view query);

// QueryParameters is what QUERY and EXECUTE carry after the query or id (§4.1.4). The flags
// byte is derived from which fields are set.
struct QueryParameters {
  // The adapter's configuration chooses; ONE is only the least surprising default.
  Consistency consistency = Consistency::kOne;
  // `values` holds value_count [value]s, e.g. written with AppendValue/AppendNullValue or
  // cql_types.h's AppendBoundValue, in bind-marker order. value_count > 0 sets flag 0x01.
  std::string_view values;
  uint16_t value_count = 0;
  // Flag 0x02: Rows come without column specs. Off unless the caller keeps the Prepared
  // result metadata: in v4 that metadata goes stale silently after an ALTER TABLE
  // (CASSANDRA-10786).
  bool skip_metadata = false;
  // Flag 0x04 when > 0: rows per page.
  int32_t page_size = 0;
  // Flag 0x08: the paging_state of the previous page, to continue it.
  std::optional<std::string_view> paging_state;
  // Flag 0x10: SERIAL or LOCAL_SERIAL, for conditional updates.
  std::optional<Consistency> serial_consistency;
  // Flag 0x20: client-side write timestamp in microseconds since the epoch (>= 0).
  std::optional<int64_t> default_timestamp;
};

// Query parameter flag bits (§4.1.4); the builders set them from QueryParameters.
namespace query_flag {
inline constexpr uint8_t kValues = 0x01;
inline constexpr uint8_t kSkipMetadata = 0x02;
inline constexpr uint8_t kPageSize = 0x04;
inline constexpr uint8_t kPagingState = 0x08;
inline constexpr uint8_t kSerialConsistency = 0x10;
inline constexpr uint8_t kDefaultTimestamp = 0x20;
}  // namespace query_flag

// AppendQuery appends QUERY. `params.values` must hold exactly value_count [value]s.
Status AppendQuery(std::string& out, int16_t stream, std::string_view query,
                   const QueryParameters& params);
// AppendExecute appends EXECUTE of the statement whose Prepared id is `id`.
Status AppendExecute(std::string& out, int16_t stream, std::string_view id,
                     const QueryParameters& params);

}  // namespace shoal::store::cassandra
