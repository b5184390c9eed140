#include "cluster/peers_file.h"

#include <cerrno>
#include <fstream>
#include <system_error>

#include "base/host_port.h"

namespace shoal::cluster {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<std::vector<std::string>> ReadPeersFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::Unavailable(path + ": cannot read: " + ErrnoText(errno));
  }
  std::vector<std::string> peers;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string_view text = line;
    if (const size_t hash = text.find('#'); hash != std::string_view::npos) {
      text = text.substr(0, hash);
    }
    text = Trim(text);
    if (text.empty()) continue;
    if (Result<HostPort> hp = ParseHostPort(text); !hp.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(n) + ": " +
                                     std::string(hp.status().message()));
    }
    peers.emplace_back(text);
  }
  if (in.bad()) return Status::Unavailable(path + ": read failed");
  return peers;
}

}  // namespace shoal::cluster
