// TestCatalog; see test_catalog.h. Test code only: the api library never includes sqlite3.h.
#include "api/test_catalog.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "store/sqlite/sqlite_open.h"

namespace shoal::api::testing {
namespace {

// The schema of /work/shared/workload/gen_catalog.py (SCHEMA), with its category index.
constexpr char kSchema[] = R"sql(
CREATE TABLE items (
  id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL,
  category TEXT NOT NULL, price_cents INTEGER NOT NULL, stock INTEGER NOT NULL,
  rating REAL, tags TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE reviews (
  item_id INTEGER NOT NULL, review_id INTEGER NOT NULL, author TEXT NOT NULL,
  stars INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (item_id, review_id));
CREATE INDEX items_category_id ON items (category, id);
)sql";

// Known rows; the api tests spell out the JSON each one must render to.
constexpr char kRows[] = R"sql(
INSERT INTO items VALUES
  (1, 'SKU-0000002A', 'Café "quoted" kit 😀 back\slash', 'tools', 1999, 5, 4.5,
   '["new","🔥","say \"hi\""]', '2024-03-01T12:00:00Z'),
  (2, 'SKU-0000002B', 'Plain book', 'books', 500, 0, NULL, '[]', '2024-01-02T03:04:05Z'),
  (3, 'SKU-0000002C', 'Größe
two lines', 'tools', 99999, 12, 3.0, 'not json [', '2024-12-31T23:59:59Z'),
  (4, 'SKU-0000002D', 'Grand deluxe edition of a classic portable wireless travel kit, vintage',
   'tools', 12345, 7, 1.0, '["gift","bio","handmade","eco"]', '2024-06-15T08:30:00Z');
INSERT INTO reviews VALUES
  (1, 1, 'Zoë 😀', 5, 'love it
would buy again', '2024-04-01T00:00:00Z'),
  (1, 2, 'O''Brien', 3, 'works	"ok"', '2024-04-02T00:00:00Z'),
  (1, 3, 'Q\R', 1, 'broke', '2024-04-03T00:00:00Z'),
  (2, 1, 'Ana', 4, 'fine', '2024-02-01T00:00:00Z');
)sql";

}  // namespace

namespace {

// Endpoint is one endpoint with the fields the catalog sets; the others keep their defaults
// (assigned, not designated: a field added to EndpointOptions needs no change here).
EndpointOptions Endpoint(std::string route, std::string query, std::vector<ParamSpec> params,
                         ResultShape result, std::vector<std::string> json_columns, Duration ttl,
                         int line) {
  EndpointOptions e;
  e.route = std::move(route);
  e.query = std::move(query);
  e.params = std::move(params);
  e.result = result;
  e.json_columns = std::move(json_columns);
  e.ttl = ttl;
  e.line = line;
  return e;
}

}  // namespace

ApiOptions CatalogApiOptions() {
  using std::chrono::seconds;
  ApiOptions o;
  o.config_file = "catalog.yaml";
  o.endpoints.push_back(
      Endpoint("/v1/items/{id:int}",
               "SELECT id, sku, title, category, price_cents, stock, rating, tags, updated_at "
               "FROM items WHERE id = :id",
               {}, ResultShape::kOne, {"tags"}, seconds(60), 10));
  o.endpoints.push_back(Endpoint("/v1/items/{id:int}/reviews",
                                 "SELECT review_id, author, stars, body, created_at FROM reviews "
                                 "WHERE item_id = :id ORDER BY review_id DESC LIMIT :limit",
                                 {ParamSpec{"limit", ParamType::kInt, "10", 1, 50, 22}},
                                 ResultShape::kMany, {}, seconds(30), 20));
  o.endpoints.push_back(
      Endpoint("/v1/categories/{name}/items",
               "SELECT id, title, price_cents FROM items WHERE category = :name ORDER BY id "
               "LIMIT :limit",
               {ParamSpec{"limit", ParamType::kInt, "20", 1, 100, 32}}, ResultShape::kMany, {},
               seconds(10), 30));
  return o;
}

TestCatalog::TestCatalog() : db_path_(dir_.File("catalog.db")) {
  for (const char* sql : {kSchema, kRows}) {
    if (std::string error = Exec(sql); !error.empty() && error_.empty()) {
      error_ = "TestCatalog: " + error;
    }
  }
}

std::unique_ptr<store::SqliteStore> TestCatalog::OpenStore(int threads, size_t queue_limit) const {
  auto store =
      store::SqliteStore::Open({.path = db_path_, .threads = threads, .queue_limit = queue_limit});
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string TestCatalog::Exec(std::string_view sql) const {
  Result<store::SqliteHandle> db = store::OpenSqlite(db_path_, store::SqliteMode::kFixture);
  if (!db.ok()) return std::string(db.status().message());
  std::string error;
  char* message = nullptr;
  if (sqlite3_exec(db->get(), std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    error = message != nullptr ? message : "sqlite3_exec failed";
  }
  sqlite3_free(message);
  return error;
}

}  // namespace shoal::api::testing
