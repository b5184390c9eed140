// cql_event: the REGISTER request and the EVENT frames the server pushes afterwards (native
// protocol v4 §4.1.8, §4.2.6; ../shared/cql-protocol.md §12). Internal to store/cassandra:
// the control connection (cql_control.h) registers, and its on_event callback parses.
//
// An EVENT arrives on stream -1 with [string] type, then:
//   TOPOLOGY_CHANGE  [string] NEW_NODE | REMOVED_NODE | MOVED_NODE, [inet] native address
//   STATUS_CHANGE    [string] UP | DOWN, [inet]
//   SCHEMA_CHANGE    [string] CREATED | UPDATED | DROPPED, [string] target, then
//                    KEYSPACE: [string] ks; TABLE / TYPE: ks, name; FUNCTION / AGGREGATE:
//                    ks, name, [string list] argument types (read and dropped).
// ParseEvent refuses (InvalidArgument naming what was wrong) a body that is truncated, has
// bytes left over, an unknown type, or an [inet] whose size is not 4 or 16; an unknown change
// or target word is kept as given (a newer server may add one; the caller ignores it).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/host_port.h"
#include "base/status.h"

namespace shoal::store::cassandra {

enum class EventType { kTopologyChange, kStatusChange, kSchemaChange };

// EventTypeName is the wire name: "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE".
std::string_view EventTypeName(EventType type);

struct Event {
  EventType type = EventType::kTopologyChange;
  std::string change;  // NEW_NODE, REMOVED_NODE, MOVED_NODE, UP, DOWN, CREATED, UPDATED, ...
  HostPort node;       // topology and status events: the node's CQL address and port
  std::string target;  // schema events: KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;  // the table, type, function or aggregate; empty for KEYSPACE

  // Describe is "STATUS_CHANGE DOWN 10.0.0.2:9042" / "SCHEMA_CHANGE CREATED TABLE ks.t".
  std::string Describe() const;
};

// AppendRegister appends a REGISTER frame for `types` on `stream`.
Status AppendRegister(std::string& out, int16_t stream, std::span<const EventType> types);

// ParseEvent reads an EVENT frame's message (the body after cql_response.h's prefixes).
Result<Event> ParseEvent(std::string_view message);

}  // namespace shoal::store::cassandra
