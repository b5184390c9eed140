// The demo catalog in a real Cassandra, for process tests over the shared node
// (scripts/cassandra.sh, SHOAL_CASSANDRA_PORT): the schema of examples/catalog/schema.cql in a
// keyspace of the test's own, the example config pointed at it, a CQL session to set it up, and
// the comparison of every catalog route between two servers (one over SQLite, the oracle).
//
// Used by tests/cassandra_test.cc (catalog copied row by row) and tests/solr_load_test.cc
// (catalog loaded from Solr by `shoal load`). Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/cassandra/cql_session.h"

namespace shoal::testing {

// CatalogSchemaCql is examples/catalog/schema.cql with its keyspace renamed to `keyspace`, as
// separate statements (comments dropped).
std::vector<std::string> CatalogSchemaCql(const std::string& keyspace);

// CassandraCatalogConfig is examples/catalog/shoal-cassandra.yaml pointed at 127.0.0.1:`port`
// and `keyspace`, listening on an ephemeral port, with the store timeout `timeout`; a non-empty
// `cache_extra` replaces the cache's `grace:` line.
std::string CassandraCatalogConfig(uint16_t port, const std::string& keyspace,
                                   const std::string& timeout = "2s",
                                   const std::string& cache_extra = "");

// OpenCqlSession connects to the node at 127.0.0.1:`port` (two connections); a failure is a
// test failure and nullptr.
std::unique_ptr<store::cassandra::Session> OpenCqlSession(uint16_t port,
                                                          const std::string& user = "",
                                                          const std::string& password = "");

// MakeCatalogKeyspace drops `keyspace` if it exists and creates it with the catalog's tables.
Status MakeCatalogKeyspace(store::cassandra::Session& session, const std::string& keyspace);

// CountCqlRows runs SELECT count(*) on `table` (keyspace.table); -1 on an error.
int64_t CountCqlRows(store::cassandra::Session& session, const std::string& table);

// CatalogTargets lists the catalog routes worth comparing for a catalog of `items` items in the
// SQLite file `db`: the first 500 items and their reviews (limited and not), every category's
// listing (limited and not), an absent item and an absent category.
std::vector<std::string> CatalogTargets(const std::string& db, int items);

// ExpectSameAnswers GETs every target from the servers on ports `a` and `b`, expecting the same
// status and the same body from both (a GoogleTest failure for each difference). Returns how
// many answers held data (200 and not "[]"), so the caller can check the comparison was worth
// something.
size_t ExpectSameAnswers(uint16_t a, uint16_t b, const std::vector<std::string>& targets);

}  // namespace shoal::testing
