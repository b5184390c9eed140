// DiffEndpoints: what a config reload changes in the endpoint table, and which cached entries
// it must drop (cli/reload.h applies it).
//
// Endpoints are matched by route. An entry stays cached across the reload when its endpoint
// kept its route and everything that shapes its answer: the query text, the result shape, the
// columns the store reports, the json columns, the tag templates (an entry carries the tags
// it was made with: kept under old templates it could escape a purge of a new tag), and the
// parameters (names, types, defaults, bounds: they decide which keys exist and what the
// query binds). A ttl or a cap (max_rows,
// max_body) that changes alone keeps the entries: they keep the deadlines they were made
// with, and new loads get the new ttl. Entries are dropped (their purge group, EndpointInfo::
// group, is listed in purge_groups) for:
//   - a removed endpoint;
//   - an endpoint whose answer changes (same route, other query, shape, columns, tags,
//     params, or page options and cursor key: api/page.h), or that now has `cache: false`;
//   - an endpoint kept as it was whose keys an added route may now take: a key's endpoint is
//     decided by its path (a literal beats a parameter), so an added /v1/items/special would
//     otherwise serve, for the key /v1/items/special, the entry /v1/items/{name} made.
// Thread-safety: a pure function of two immutable Routers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/router.h"

namespace shoal::api {

struct EndpointDiff {
  // One line per change, for the log and POST /_shoal/reload: "endpoint ROUTE added",
  // "... removed", "... answer changed (query): entries dropped", "... ttl 60s -> 30s",
  // "... entries dropped: the added route R may take its keys".
  std::vector<std::string> changes;
  std::vector<uint32_t> purge_groups;  // sorted, unique
  size_t kept = 0;                     // endpoints whose entries stay
};

// DiffEndpoints compares the endpoint tables of `before` and `after` (see above).
EndpointDiff DiffEndpoints(const Router& before, const Router& after);

}  // namespace shoal::api
