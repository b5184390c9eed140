// Test-side control of the multi-node Cassandra ring that scripts/cassandra-ring.sh runs
// (scripts/with-cassandra.sh starts it once for the whole `make test`), and the per-node
// samples of shoal's labelled Cassandra metrics.
//
// The ring is given by SHOAL_CASSANDRA_RING (its CQL endpoints, comma-separated, e.g.
// "127.0.0.2:9042,127.0.0.3:9042,127.0.0.4:9042") and driven through the script at
// SHOAL_CASSANDRA_RING_SCRIPT (default: the source tree's scripts/cassandra-ring.sh), which
// finds the ring's directory through SHOAL_RING_DATA like the shell that started it. Tests
// without a ring skip with a reason, unless SHOAL_REQUIRE_CASSANDRA_RING=1 (set by
// with-cassandra.sh when it started the ring): then they fail.
//
// Ownership: a CassandraRing holds only names; the nodes belong to the script's ring.
// Thread-compatible; every call runs the script to completion (the script bounds its waits).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "base/status.h"

namespace shoal::testing {

// One line of `cassandra-ring.sh nodes`.
struct RingNode {
  int index = 0;
  std::string address;  // 127.0.0.(index+1)
  std::string dc;
  std::string rack;
  pid_t pid = -1;     // -1 when not running
  std::string state;  // up, starting, paused, down, decommissioned

  std::string endpoint() const { return address + ":9042"; }
};

struct ScriptRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  double seconds = 0;  // wall time
};

class CassandraRing {
 public:
  // FromEnvironment returns the ring of SHOAL_CASSANDRA_RING, or nullopt when it is unset.
  static std::optional<CassandraRing> FromEnvironment();
  // Required says whether SHOAL_REQUIRE_CASSANDRA_RING=1.
  static bool Required();

  const std::vector<std::string>& endpoints() const { return endpoints_; }

  // Run runs the script with `args` and returns its exit code and output.
  ScriptRun Run(const std::vector<std::string>& args) const;
  // Nodes parses `nodes`.
  Result<std::vector<RingNode>> Nodes() const;
  // Node returns the node whose address is `address`.
  Result<RingNode> NodeAt(std::string_view address) const;
  // Cql runs statements on node `index` (one connection); Internal with the output if the
  // script fails.
  Result<std::string> Cql(int index, const std::vector<std::string>& statements) const;
  // Verb runs `verb index` (kill, restart, pause, resume, decommission); Internal with the
  // output if the script fails.
  Status Verb(const std::string& verb, int index, ScriptRun* out = nullptr) const;
  // Add bootstraps one more node and returns its address (the last line of the script).
  Result<std::string> Add(ScriptRun* out = nullptr) const;

 private:
  CassandraRing(std::vector<std::string> endpoints, std::string script)
      : endpoints_(std::move(endpoints)), script_(std::move(script)) {}

  std::vector<std::string> endpoints_;
  std::string script_;
};

// NodeSamples returns, for the metric `name` in a Prometheus text exposition, the value of
// each sample by its `node` label ("127.0.0.4:9042"); samples without a node label are left
// out. Histogram series (_bucket, _sum, _count) have other names and are not matched.
std::map<std::string, double> NodeSamples(std::string_view exposition, std::string_view name);

// Label returns the value of label `key` in a sample's label text `{a="x",b="y"}` ("" if
// absent).
std::string Label(std::string_view labels, std::string_view key);

}  // namespace shoal::testing
