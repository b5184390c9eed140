// File descriptor budget: raise the soft RLIMIT_NOFILE to the hard limit at start, and size a
// connection cap to what is left after a reserve.
//
// A server whose client connections can use every descriptor starves everything else that
// needs one: accept fails with EMFILE (so the over-capacity 503 is never sent), and peer
// dials and database reconnects fail (security review M5). serve raises the limit, then
// clamps http.max_connections with ConnectionBudget.
// Thread-safety: RaiseFdLimit changes process state; call it at start, before threads.
// ConnectionBudget is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace shoal {

struct FdLimit {
  uint64_t before = 0;  // the soft limit found
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;    // the hard limit (RLIM_INFINITY reads as UINT64_MAX)
};

// RaiseFdLimit sets the soft RLIMIT_NOFILE to the hard limit (on Linux at most
// /proc/sys/fs/nr_open when the hard limit is unlimited). An error only if the limits cannot
// be read; a raise the kernel refuses leaves the soft limit as it was (soft == before).
Result<FdLimit> RaiseFdLimit();

// ConnectionBudget is how many connections fit in `fd_limit` descriptors once `reserve` are
// kept for everything else: fd_limit - reserve, at least `floor`.
size_t ConnectionBudget(uint64_t fd_limit, uint64_t reserve, size_t floor = 16);

}  // namespace shoal
