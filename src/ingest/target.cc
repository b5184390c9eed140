// Target parsing and OpenWriter: see target.h.
#include "ingest/target.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/host_port.h"
#include "ingest/cassandra_writer.h"
#include "ingest/sqlite_writer.h"

namespace shoal::ingest {
namespace {

constexpr uint16_t kCassandraPort = 9042;

bool IsCqlName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<CassandraTarget> ParseCassandraTarget(std::string_view spec) {
  CassandraTarget t;
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos) {
    return Status::InvalidArgument(
        "expected cassandra:HOST[:PORT]/KEYSPACE, got 'cassandra:" + std::string(spec) + "'");
  }
  const std::string_view keyspace = spec.substr(slash + 1);
  if (!IsCqlName(keyspace)) {
    return Status::InvalidArgument("bad keyspace '" + std::string(keyspace) +
                                   "' in the cassandra target (letters, digits and _)");
  }
  t.keyspace = std::string(keyspace);
  Result<HostPort> address =
      ParseHostPort(spec.substr(0, slash), HostPortRules{.default_port = kCassandraPort});
  if (!address.ok()) {
    return Status::InvalidArgument("the cassandra target: " +
                                   std::string(address.status().message()));
  }
  t.host = std::move(address->host);
  t.port = address->port;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread starts
  if (const char* user = std::getenv("SHOAL_CASSANDRA_USER")) t.user = user;
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* password = std::getenv("SHOAL_CASSANDRA_PASSWORD")) t.password = password;
  return t;
}

Result<Target> ParseTarget(std::string_view to) {
  Target target;
  constexpr std::string_view kSqlite = "sqlite:";
  constexpr std::string_view kCassandra = "cassandra:";
  if (to.substr(0, kSqlite.size()) == kSqlite && to.size() > kSqlite.size()) {
    target.sqlite_path = std::string(to.substr(kSqlite.size()));
    return target;
  }
  if (to.substr(0, kCassandra.size()) == kCassandra) {
    Result<CassandraTarget> cassandra = ParseCassandraTarget(to.substr(kCassandra.size()));
    if (!cassandra.ok()) return cassandra.status();
    target.cassandra = std::move(cassandra).value();
    return target;
  }
  return Status::InvalidArgument(
      "--to: expected sqlite:PATH or cassandra:HOST[:PORT]/KEYSPACE, got '" + std::string(to) +
      "'");
}

Result<std::unique_ptr<RowWriter>> OpenWriter(const Target& target) {
  if (target.cassandra) return OpenCassandraWriter(*target.cassandra);
  return OpenSqliteWriter(target.sqlite_path);
}

}  // namespace shoal::ingest
