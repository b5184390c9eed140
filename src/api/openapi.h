// OpenApiDocument: the OpenAPI 3.1 description of the endpoints a Router serves, generated from
// the compiled endpoints (as Hasura and PostgREST generate theirs from what they serve).
//
// One path item per endpoint, with a GET operation:
//   - the path is the route with each {name:int} written {name};
//   - parameters: the path's (required) and the declared query parameters (required unless
//     they have a default), each with its JSON Schema: integer (format int64) with minimum /
//     maximum, or string with minLength / maxLength (every string has a max: its own, else
//     http.max_string_param), and the default as a value of that type;
//   - responses: 200 with the body's schema and its ETag, Cache-Control, Age and Vary
//     headers; 304 (If-None-Match); 400 (a bad parameter); 404 for a `result: one` endpoint
//     (no row); 500; 503 (with Retry-After). Errors share one schema, the JSON error body
//     {"error": string, "status": integer}.
// The 200 schema: `result: one` is an object with one property per result column, `result:
// many` an array of such objects. Each column's schema comes from the store's metadata
// (store::ColumnMeta): its JSON type, with "null" added unless the store promises NOT NULL
// (a JSON Schema type array, ["string", "null"]); a column of unknown type and a `json:`
// column are free-form (no constraint). Every column is present in every row (required).
//
// The document is compact JSON (JsonWriter). It holds routes, parameter rules and column
// names, nothing secret: GET /_shoal/openapi.json serves it on the public listener
// (ApiOptions::openapi), and `shoal openapi -c FILE` prints it.
// Thread-safety: a pure function of an immutable Router.
#pragma once

#include <string>
#include <string_view>

#include "api/router.h"

namespace shoal::api {

inline constexpr std::string_view kOpenApiPath = "/_shoal/openapi.json";

// OpenApiDocument returns the document for `router`; `version` is info.version (the build's).
std::string OpenApiDocument(const Router& router, std::string_view version);

}  // namespace shoal::api
