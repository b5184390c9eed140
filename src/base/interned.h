// Intern: one process-lifetime copy of each distinct string of a small, bounded set (endpoint
// routes, node addresses), so that hot paths can carry a string_view that never dangles: in a
// metric label, an access-log line written later on another thread, a response that outlives
// the Router it came from (a reload swaps Routers while answers are still queued).
//
// The set must stay bounded: names from the config or the member list, never request data.
// Interned strings are never freed; a config reloaded a thousand times with the same routes
// still holds each route once.
// Thread-safety: thread-safe (one mutex; intern at build time, not per request).
#pragma once

#include <string_view>

namespace shoal {

// Intern returns a view of a copy of `s` that stays valid until the process exits; equal
// strings give the same view (same data pointer).
std::string_view Intern(std::string_view s);

}  // namespace shoal
