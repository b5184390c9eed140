// The node's file descriptor budget (security review M5): at start, raise the soft
// RLIMIT_NOFILE to the hard limit, then lower http.max_connections so that client
// connections can never take the descriptors that the peer connections, the store and the
// process itself need. Over the cap a client gets 503 (http::Server), never EMFILE.
//
// The reserve, in descriptors:
//   64                                   the process: stdio, logs, listening sockets, spare
//   3 per event loop (http, rpc, store)  epoll, eventfd, timerfd
//   peers x cluster.connections x 2      connections to each peer, and theirs to us
//   store.sqlite.threads x 3 + 3         each worker's database, -wal and -shm files
//   store.cassandra.connections x (contact points + 16)   16 discovered nodes at most
//   64 with admin.listen                 the admin listener's connections (its own cap)
// Thread-safety: ApplyFdLimit changes process state; call it at start, before threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/config.h"

namespace shoal::cli {

// FdReserve is the reserve above for `config`.
uint64_t FdReserve(const Config& config);

// ApplyFdLimit raises the limit and clamps config->http.max_connections; it returns the
// lines to log (the raise, the clamp), empty when nothing changed.
std::vector<std::string> ApplyFdLimit(Config* config);

}  // namespace shoal::cli
