// RaiseFdLimit and ConnectionBudget; see fd_limit.h.
#include "base/fd_limit.h"

#include <cerrno>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>

#include <sys/resource.h>

namespace shoal {
namespace {

// NrOpen is the kernel's ceiling for RLIMIT_NOFILE (fs.nr_open); 1 Mi if it cannot be read.
uint64_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t n = 0;
  if (in >> n && n > 0) return n;
  return uint64_t{1} << 20;
}

}  // namespace

Result<FdLimit> RaiseFdLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
    return Status::Internal("getrlimit(RLIMIT_NOFILE): " +
                            std::error_code(errno, std::generic_category()).message());
  }
  const auto as_u64 = [](rlim_t v) {
    return v == RLIM_INFINITY ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(v);
  };
  FdLimit out{.before = as_u64(r.rlim_cur), .soft = as_u64(r.rlim_cur), .hard = as_u64(r.rlim_max)};
  rlim_t target = r.rlim_max;
  if (target == RLIM_INFINITY) target = static_cast<rlim_t>(NrOpen());
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < target) {
    rlimit raised{.rlim_cur = target, .rlim_max = r.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.soft = as_u64(target);
  }
  return out;
}

size_t ConnectionBudget(uint64_t fd_limit, uint64_t reserve, size_t floor) {
  if (fd_limit <= reserve || fd_limit - reserve < floor) return floor;
  const uint64_t budget = fd_limit - reserve;
  if (budget > std::numeric_limits<size_t>::max()) return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(budget);
}

}  // namespace shoal
