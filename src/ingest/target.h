// Target: where `shoal load --to` writes, parsed from "sqlite:PATH" or
// "cassandra:HOST[:PORT]/KEYSPACE", and the writer (writer.h) for it.
//
// Thread-safety: values and functions; ParseCassandraTarget reads the environment, so call
// it before starting threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ingest/writer.h"

namespace shoal::ingest {

struct CassandraTarget {
  std::string host;
  uint16_t port = 9042;
  std::string keyspace;
  std::string user;  // SHOAL_CASSANDRA_USER / SHOAL_CASSANDRA_PASSWORD, when set
  std::string password;
  int concurrency = 256;  // writes in flight (--concurrency)
};

struct Target {
  std::string sqlite_path;                   // set for sqlite:PATH
  std::optional<CassandraTarget> cassandra;  // set for cassandra:...
};

// ParseCassandraTarget reads "HOST[:PORT]/KEYSPACE" (the part after "cassandra:"; an IPv6
// host goes in brackets, the port defaults to 9042) and the credentials from the environment.
// Errors say what is wrong.
Result<CassandraTarget> ParseCassandraTarget(std::string_view spec);

// ParseTarget reads a whole --to value. Errors (InvalidArgument) say what was expected.
Result<Target> ParseTarget(std::string_view to);

// OpenWriter opens the writer for `target`: the SQLite file, or a session to the cluster.
Result<std::unique_ptr<RowWriter>> OpenWriter(const Target& target);

}  // namespace shoal::ingest
