// ReadPeersFile: the member list from a file (cluster.peers_file): one HOST:PORT per line;
// blank lines and everything from '#' to the end of a line are ignored. An unreadable file
// or a bad line is an error naming path:line. Thread-safety: a pure function of the file.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shoal::cluster {

Result<std::vector<std::string>> ReadPeersFile(const std::string& path);

}  // namespace shoal::cluster
