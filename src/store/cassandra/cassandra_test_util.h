// Test-side access to the real Cassandra that scripts/cassandra.sh starts (and .ci/run starts
// before the suite): where it listens, and a keyspace of a test's own.
//
// Tests that need the server call CassandraPortOrSkip() first. When nothing answers on the
// port, the test is skipped with a loud reason, unless SHOAL_REQUIRE_CASSANDRA=1 (set by
// .ci/run once it has started the server), when it fails: CI must never pass by skipping.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/test_socket.h"

namespace shoal::store::cassandra::testing {

// CassandraPort is SHOAL_CASSANDRA_PORT, or 9042.
inline uint16_t CassandraPort() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): tests read the environment, nothing writes it.
  const char* env = std::getenv("SHOAL_CASSANDRA_PORT");
  return env != nullptr ? static_cast<uint16_t>(std::atoi(env)) : 9042;
}

// Listening says whether something accepts TCP connections on 127.0.0.1:`port`.
inline bool Listening(uint16_t port) {
  const int fd = ConnectToLoopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

inline bool CassandraRequired() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): tests read the environment, nothing writes it.
  const char* env = std::getenv("SHOAL_REQUIRE_CASSANDRA");
  return env != nullptr && std::string(env) == "1";
}

// UniqueKeyspace names a keyspace for one test binary run: `prefix` plus the pid.
inline std::string UniqueKeyspace(const std::string& prefix) {
  return prefix + "_" + std::to_string(::getpid());
}

}  // namespace shoal::store::cassandra::testing

// SHOAL_NEED_CASSANDRA(): skip (or, under SHOAL_REQUIRE_CASSANDRA=1, fail) the current test
// when no Cassandra listens on CassandraPort().
#define SHOAL_NEED_CASSANDRA()                                                        \
  do {                                                                                \
    const uint16_t shoal_port_ = ::shoal::store::cassandra::testing::CassandraPort(); \
    if (!::shoal::store::cassandra::testing::Listening(shoal_port_)) {                \
      if (::shoal::store::cassandra::testing::CassandraRequired()) {                  \
        FAIL() << "no Cassandra on 127.0.0.1:" << shoal_port_                         \
               << " although SHOAL_REQUIRE_CASSANDRA=1";                              \
      }                                                                               \
      GTEST_SKIP() << "SKIPPED: no Cassandra on 127.0.0.1:" << shoal_port_            \
                   << " (start one with scripts/cassandra.sh start)";                 \
    }                                                                                 \
  } while (0)
