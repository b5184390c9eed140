// EndpointGroup: the purge group of an endpoint's entries (Cache::Insert, ReadThrough::PurgeGroup,
// the cluster's purge floors), stable across config reloads.
//
// A group used to be the endpoint's index in the Router, which shifts when a reload adds,
// removes or reorders endpoints: entries kept across the reload would then sit in another
// endpoint's group, and a purge (or a purge floor) of one endpoint would hit another. So a
// group is instead numbered by the route itself: the first route seen gets 1, the next 2, and
// a route keeps its number for the process's life, whatever the order of the endpoints or how
// often the config is reloaded. Group 0 is the keys of no endpoint.
//
// The routes are a bounded set (the config's, Intern's rule), so the numbers stay small, as
// Cache wants them (it keeps 16 bytes per group and shard up to the largest it has seen).
// Groups are node-local: a purge travels between nodes as a route, never as a group.
// Thread-safety: thread-safe (a mutex; called when a Router is built, never per request).
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal::api {

// EndpointGroup returns the purge group of `route` (its text; equal routes, equal groups).
uint32_t EndpointGroup(std::string_view route);

}  // namespace shoal::api
