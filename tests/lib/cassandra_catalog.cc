#include "cassandra_catalog.h"

#include <chrono>
#include <string_view>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"
#include "store/cassandra/cql_result.h"

namespace shoal::testing {

namespace cql = store::cassandra;
using namespace std::chrono_literals;

namespace {

std::string SourceFile(const std::string& relative) {
  return ReadFile(std::string(SHOAL_SOURCE_DIR) + "/" + relative);
}

}  // namespace

std::vector<std::string> CatalogSchemaCql(const std::string& keyspace) {
  std::string text;
  const std::string source = SourceFile("examples/catalog/schema.cql");
  size_t at = 0;
  while (at < source.size()) {
    size_t eol = source.find('\n', at);
    if (eol == std::string::npos) eol = source.size();
    std::string line = source.substr(at, eol - at);
    if (const size_t dash = line.find("--"); dash != std::string::npos) line.resize(dash);
    text += line + "\n";
    at = eol + 1;
  }
  const std::string_view from = "shoal_catalog";
  for (size_t p = text.find(from); p != std::string::npos;
       p = text.find(from, p + keyspace.size())) {
    text.replace(p, from.size(), keyspace);
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t semi = text.find(';'); semi != std::string::npos; semi = text.find(';', start)) {
    std::string statement = text.substr(start, semi - start);
    if (statement.find_first_not_of(" \n\t") != std::string::npos) out.push_back(statement);
    start = semi + 1;
  }
  return out;
}

std::string CassandraCatalogConfig(uint16_t port, const std::string& keyspace,
                                   const std::string& timeout, const std::string& cache_extra) {
  std::string text = SourceFile("examples/catalog/shoal-cassandra.yaml");
  const auto replace_line = [&text](std::string_view prefix, const std::string& line) {
    const size_t at = text.find(prefix);
    if (at == std::string::npos) return;
    const size_t eol = text.find('\n', at);
    text.replace(at, eol - at, line);
  };
  replace_line("listen:", "listen: 127.0.0.1:0");
  replace_line("    contact_points:",
               "    contact_points: [127.0.0.1:" + std::to_string(port) + "]");
  replace_line("    keyspace:", "    keyspace: " + keyspace);
  replace_line("  timeout:", "  timeout: " + timeout);
  if (!cache_extra.empty()) replace_line("  grace:", cache_extra);
  return text;
}

std::unique_ptr<cql::Session> OpenCqlSession(uint16_t port, const std::string& user,
                                             const std::string& password) {
  cql::SessionOptions o;
  o.contact_points = {"127.0.0.1:" + std::to_string(port)};
  o.user = user;
  o.password = password;
  o.connections_per_node = 2;
  auto s = cql::Session::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

Status MakeCatalogKeyspace(cql::Session& session, const std::string& keyspace) {
  if (auto r = session.Run("DROP KEYSPACE IF EXISTS " + keyspace, 60s); !r.ok()) {
    return r.status();
  }
  for (const std::string& statement : CatalogSchemaCql(keyspace)) {
    if (auto r = session.Run(statement, 60s); !r.ok()) {
      return Status::Internal(statement + ": " + r.status().ToString());
    }
  }
  return Status::Ok();
}

int64_t CountCqlRows(cql::Session& session, const std::string& table) {
  auto r = session.Run("SELECT count(*) FROM " + table, 60s);
  if (!r.ok()) return -1;
  auto m = cql::ParseResult(*r);
  if (!m.ok()) return -1;
  const auto* rows = std::get_if<cql::RowsResult>(&*m);
  if (rows == nullptr || rows->row_count != 1) return -1;
  cql::CellCursor cells = rows->cells();
  auto cell = cells.Next();
  if (!cell || cell->size() != 8) return -1;
  int64_t n = 0;
  for (char c : *cell) n = (n << 8) | static_cast<unsigned char>(c);
  return n;
}

std::vector<std::string> CatalogTargets(const std::string& db, int items) {
  std::vector<std::string> targets;
  for (int id = 1; id <= std::min(items, 500); ++id) {
    targets.push_back("/v1/items/" + std::to_string(id));
    targets.push_back("/v1/items/" + std::to_string(id) + "/reviews?limit=50");
    if (id % 50 == 0) targets.push_back("/v1/items/" + std::to_string(id) + "/reviews");
  }
  targets.push_back("/v1/items/" + std::to_string(items + 1));  // absent: 404 from both
  Result<boost::json::array> categories = QueryJson(db, "SELECT DISTINCT category FROM items");
  EXPECT_TRUE(categories.ok()) << categories.status().ToString();
  if (categories.ok()) {
    for (const boost::json::value& c : *categories) {
      const std::string name(c.as_object().at("category").as_string());
      targets.push_back("/v1/categories/" + name + "/items?limit=100");
      targets.push_back("/v1/categories/" + name + "/items");
    }
  }
  targets.push_back("/v1/categories/no-such-category/items");
  return targets;
}

size_t ExpectSameAnswers(uint16_t a, uint16_t b, const std::vector<std::string>& targets) {
  auto x_client = HttpClient::Connect(a);
  auto y_client = HttpClient::Connect(b);
  EXPECT_TRUE(x_client.ok() && y_client.ok());
  if (!x_client.ok() || !y_client.ok()) return 0;
  size_t nonempty = 0;
  for (const std::string& target : targets) {
    auto x = x_client->Get(target);
    auto y = y_client->Get(target);
    EXPECT_TRUE(x.ok() && y.ok()) << target;
    if (!x.ok() || !y.ok()) return nonempty;
    EXPECT_EQ(x->status, y->status) << target << "\nfirst: " << x->body << "\nsecond: " << y->body;
    EXPECT_EQ(x->body, y->body) << target;
    if (x->status == 200 && x->body != "[]") ++nonempty;
  }
  return nonempty;
}

}  // namespace shoal::testing
