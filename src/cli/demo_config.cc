#include "cli/demo_config.h"

namespace shoal::cli {
namespace {

// Kept equal to examples/catalog/shoal.yaml below its first lines (tests/config_test checks).
constexpr char kEndpoints[] = R"(cache:
  memory: 256MiB
  grace: 5m
endpoints:
  - route: /v1/items/{id:int}
    query: >-
      SELECT id, sku, title, category, price_cents, stock, rating, tags, updated_at
      FROM items WHERE id = :id
    result: one
    json: [tags]
    ttl: 60s
  - route: /v1/items/{id:int}/reviews
    query: >-
      SELECT review_id, author, stars, body, created_at
      FROM reviews WHERE item_id = :id ORDER BY review_id DESC LIMIT :limit
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: 30s
  - route: /v1/categories/{name}/items
    query: >-
      SELECT id, title, price_cents
      FROM items WHERE category = :name ORDER BY id LIMIT :limit
    params:
      limit: { type: int, default: 20, min: 1, max: 100 }
    result: many
    ttl: 10s
)";

}  // namespace

std::string DemoConfigText(const std::string& listen, const std::string& db_path) {
  std::string text = "# shoal demo: the catalog of ../shared/workload/SPEC.md\n";
  text += "listen: " + listen + "\n";
  text += "store:\n  sqlite: { path: \"" + db_path + "\" }\n  timeout: 2s\n";
  text += kEndpoints;
  return text;
}

}  // namespace shoal::cli
