// test_config.h: the smallest config that LoadConfig accepts, for the config tests that add a
// section or two after it. Its 7 lines (listen, a SQLite store, one endpoint) come first, so a
// key appended after it is on line 8 of the text: the tests' expected "FILE:LINE" messages
// count from there.
#pragma once

namespace shoal::testing {

inline constexpr char kMinimalConfig[] = R"(listen: 127.0.0.1:9090
store:
  sqlite: { path: db/catalog.db }
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id FROM items WHERE id = :id
    ttl: 60s
)";

}  // namespace shoal::testing
