// cql_replication: see cql_replication.h.
#include "store/cassandra/cql_replication.h"

#include <optional>

#include "base/numbers.h"

namespace shoal::store::cassandra {
namespace {

// ShortClass returns the class name after its package ("org.apache.cassandra.locator.X" -> X).
std::string_view ShortClass(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// ReplicaCount reads "3" or the transient syntax "3/1" (all replicas / transient ones): the
// number of replicas is the part before '/'. nullopt unless a count in [0, 1000].
std::optional<int> ReplicaCount(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) text = text.substr(0, slash);
  const std::optional<int64_t> v = ParseInt64(text);
  if (!v || *v < 0 || *v > 1000) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

Replication ParseReplication(const std::vector<std::pair<std::string, std::string>>& options) {
  Replication out;
  for (const auto& [key, value] : options) {
    if (key == "class") out.class_name = value;
  }
  const std::string_view cls = ShortClass(out.class_name);
  if (cls == "SimpleStrategy") {
    for (const auto& [key, value] : options) {
      if (key != "replication_factor") continue;
      if (const std::optional<int> rf = ReplicaCount(value)) {
        out.kind = Replication::Kind::kSimple;
        out.simple_rf = *rf;
      }
    }
    return out;
  }
  if (cls == "NetworkTopologyStrategy") {
    for (const auto& [key, value] : options) {
      // 'replication_factor' is expanded into per-DC counts by the server (4.0+); older ones
      // reject it for this class. Either way it names no data centre.
      if (key == "class" || key == "replication_factor") continue;
      const std::optional<int> rf = ReplicaCount(value);
      if (!rf) {
        out.dc_rf.clear();
        return out;  // kUnknown: a count we cannot read
      }
      if (*rf > 0) out.dc_rf[key] = *rf;
    }
    out.kind = Replication::Kind::kNetworkTopology;
    return out;
  }
  if (cls == "LocalStrategy" || cls == "EverywhereStrategy") {
    out.kind = Replication::Kind::kEverywhere;
  }
  return out;
}

std::string DescribeReplication(const Replication& replication) {
  std::string cls(ShortClass(replication.class_name));
  switch (replication.kind) {
    case Replication::Kind::kSimple:
      return cls + " rf " + std::to_string(replication.simple_rf);
    case Replication::Kind::kNetworkTopology: {
      std::string out = cls;
      for (const auto& [dc, rf] : replication.dc_rf) out += " " + dc + ":" + std::to_string(rf);
      return out;
    }
    case Replication::Kind::kEverywhere:
      return cls;
    case Replication::Kind::kUnknown:
      break;
  }
  return replication.class_name.empty()
             ? "unknown replication"
             : "unknown replication class '" + replication.class_name + "'";
}

}  // namespace shoal::store::cassandra
