// The node's file descriptor budget; see fd_budget.h.
#include "cli/fd_budget.h"

#include <algorithm>
#include <thread>

#include "base/fd_limit.h"

namespace shoal::cli {

uint64_t FdReserve(const Config& config) {
  constexpr uint64_t kProcess = 64;
  constexpr uint64_t kPerLoop = 3;
  constexpr uint64_t kDiscoveredNodes = 16;
  constexpr uint64_t kAdmin = 64;
  const uint64_t http_loops = config.http.threads > 0
                                  ? static_cast<uint64_t>(config.http.threads)
                                  : std::max(1u, std::thread::hardware_concurrency());
  uint64_t reserve = kProcess + kPerLoop * http_loops;
  if (config.clustered) {
    reserve += kPerLoop * config.rpc_threads;
    reserve += config.cluster.peers.size() * config.cluster.connections * 2;
  }
  if (config.store_kind == Config::StoreKind::kSqlite) {
    reserve += (static_cast<uint64_t>(config.sqlite.threads) + 1) * 3;
  } else {
    const auto& s = config.cassandra.session;
    reserve += kPerLoop * s.io_threads;
    reserve += s.connections_per_node *
               (s.contact_points.size() + (s.discover_peers ? kDiscoveredNodes : 0));
  }
  if (!config.admin.listen.empty()) reserve += kAdmin + kPerLoop;
  return reserve;
}

std::vector<std::string> ApplyFdLimit(Config* config) {
  std::vector<std::string> lines;
  Result<FdLimit> limit = RaiseFdLimit();
  if (!limit.ok()) {
    lines.push_back("cannot read the file descriptor limit: " +
                    std::string(limit.status().message()));
    return lines;
  }
  if (limit->soft != limit->before) {
    lines.push_back("raised the file descriptor limit (RLIMIT_NOFILE) from " +
                    std::to_string(limit->before) + " to " + std::to_string(limit->soft));
  }
  const uint64_t reserve = FdReserve(*config);
  const size_t budget = ConnectionBudget(limit->soft, reserve);
  if (config->http.max_connections > budget) {
    lines.push_back("http.max_connections lowered from " +
                    std::to_string(config->http.max_connections) + " to " + std::to_string(budget) +
                    ": the file descriptor limit is " + std::to_string(limit->soft) + " and " +
                    std::to_string(reserve) +
                    " are kept for peers, the store and the process (raise the hard limit, "
                    "ulimit -Hn, for more)");
    config->http.max_connections = budget;
  }
  return lines;
}

}  // namespace shoal::cli
