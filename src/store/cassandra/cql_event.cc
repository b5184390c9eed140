// cql_event: see cql_event.h.
#include "store/cassandra/cql_event.h"

#include <vector>

#include <arpa/inet.h>

#include "base/big_endian.h"
#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

Status Bad(std::string_view what) {
  return Status::InvalidArgument("cql: bad EVENT: " + std::string(what));
}

// ReadInet reads an [inet]: [byte] size (4 or 16), the address, [int] port.
bool ReadInet(WireReader& r, HostPort* out) {
  uint8_t size = 0;
  std::string_view bytes;
  int32_t port = 0;
  if (!r.Byte(&size) || (size != 4 && size != 16) || !r.Raw(size, &bytes) || !r.Int(&port) ||
      port < 0 || port > 65535) {
    return false;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(size == 4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text) == nullptr) {
    return false;
  }
  out->host = text;
  out->port = static_cast<uint16_t>(port);
  return true;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kTopologyChange:
      return "TOPOLOGY_CHANGE";
    case EventType::kStatusChange:
      return "STATUS_CHANGE";
    case EventType::kSchemaChange:
      return "SCHEMA_CHANGE";
  }
  return "?";
}

std::string Event::Describe() const {
  std::string out = std::string(EventTypeName(type)) + " " + change + " ";
  if (type != EventType::kSchemaChange) return out + node.ToString();
  out += target + " " + keyspace;
  if (!name.empty()) out += "." + name;
  return out;
}

Status AppendRegister(std::string& out, int16_t stream, std::span<const EventType> types) {
  const size_t start = out.size();
  FrameHeader h;
  h.stream = stream;
  h.opcode = Opcode::kRegister;
  AppendFrameHeader(out, h);
  AppendShort(out, static_cast<uint16_t>(types.size()));
  for (EventType t : types) AppendString(out, EventTypeName(t));
  StoreBigEndian32(out.data() + start + 5,
                   static_cast<uint32_t>(out.size() - start - kFrameHeaderSize));
  return Status();
}

Result<Event> ParseEvent(std::string_view message) {
  WireReader r(message);
  std::string_view type;
  std::string_view change;
  if (!r.String(&type)) return Bad("truncated type");
  Event e;
  if (type == "TOPOLOGY_CHANGE" || type == "STATUS_CHANGE") {
    e.type = type == "STATUS_CHANGE" ? EventType::kStatusChange : EventType::kTopologyChange;
    if (!r.String(&change)) return Bad("truncated change");
    if (!ReadInet(r, &e.node)) return Bad("bad or truncated [inet]");
  } else if (type == "SCHEMA_CHANGE") {
    e.type = EventType::kSchemaChange;
    std::string_view target;
    std::string_view keyspace;
    if (!r.String(&change) || !r.String(&target) || !r.String(&keyspace)) {
      return Bad("truncated schema change");
    }
    e.target = std::string(target);
    e.keyspace = std::string(keyspace);
    if (target != "KEYSPACE") {
      std::string_view name;
      if (!r.String(&name)) return Bad("truncated schema change name");
      e.name = std::string(name);
      if (target == "FUNCTION" || target == "AGGREGATE") {
        std::vector<std::string_view> args;
        if (!r.StringList(&args)) return Bad("truncated argument types");
      }
    }
  } else {
    return Bad("unknown type \"" + std::string(type.substr(0, 40)) + "\"");
  }
  e.change = std::string(change);
  if (r.remaining() != 0) return Bad("bytes left over");
  return e;
}

}  // namespace shoal::store::cassandra
