// shoal serving from a real Cassandra (label cassandra): the catalog routes answer byte for
// byte what they answer from SQLite, and a Cassandra that stops gives 503s (or the stale
// entry) within the store timeout, then serves again once it is back.
//
// The shared server (scripts/cassandra.sh, SHOAL_CASSANDRA_PORT) holds the catalog copied from
// the same SQLite file the other server reads. The stop test starts a Cassandra of its own on
// another port, because stopping the shared one would break every test that runs beside it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "cassandra_catalog.h"
#include "catalog_suite.h"
#include "http_client.h"
#include "own_node.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_session.h"

namespace shoal::testing {
namespace {

using namespace std::chrono_literals;
namespace cql = store::cassandra;
namespace json = boost::json;

store::Value FromJson(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_double()) return v.as_double();
  if (v.is_string()) return std::string(v.as_string());
  return store::Value();
}

// CopyTable inserts every row of `select` (SQLite, at `db`) into `table` (Cassandra),
// columns by name, with at most 256 inserts in flight.
Status CopyTable(cql::Session& session, const std::string& db, const std::string& select,
                 const std::string& keyspace, const std::string& table,
                 const std::vector<std::string>& columns) {
  Result<json::array> rows = QueryJson(db, select);
  if (!rows.ok()) return rows.status();
  std::string cql = "INSERT INTO " + keyspace + "." + table + " (";
  std::string marks;
  for (size_t i = 0; i < columns.size(); ++i) {
    cql += (i ? ", " : "") + columns[i];
    marks += i ? ", ?" : "?";
  }
  cql += ") VALUES (" + marks + ")";
  auto prepared = session.Prepare(cql, 30s);
  if (!prepared.ok()) return prepared.status();
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  Status first_error;
  for (const json::value& row : *rows) {
    std::vector<store::Value> values;
    for (const std::string& c : columns) values.push_back(FromJson(row.as_object().at(c)));
    std::string encoded, routing;
    if (Status s = cql::Session::BindValues(**prepared, values, &encoded, &routing); !s.ok()) {
      return s;
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < 256; });
      ++in_flight;
    }
    cql::ExecuteOptions options;
    options.idempotent = true;
    options.routing_key = routing;
    session.Execute(*prepared, std::move(encoded), static_cast<uint16_t>(values.size()), options,
                    std::chrono::steady_clock::now() + 30s, [&](Result<cql::ResultMessage> r) {
                      std::lock_guard<std::mutex> lock(mu);
                      if (!r.ok() && first_error.ok()) first_error = r.status();
                      --in_flight;
                      cv.notify_all();
                    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  return first_error;
}

constexpr int kItems = 600;

class CassandraCatalogTest : public CatalogSuite<kItems> {
 protected:
  static void SetUpTestSuite() {
    CatalogSuite<kItems>::SetUpTestSuite();
    if (!store::cassandra::testing::Listening(store::cassandra::testing::CassandraPort())) {
      return;
    }
    keyspace_ = store::cassandra::testing::UniqueKeyspace("shoal_catalog_test");
    auto session = OpenCqlSession(store::cassandra::testing::CassandraPort());
    ASSERT_NE(session, nullptr);
    const Status made = MakeCatalogKeyspace(*session, keyspace_);
    ASSERT_TRUE(made.ok()) << made.ToString();
    const std::vector<std::string> item_columns = {
        "id", "sku", "title", "category", "price_cents", "stock", "rating", "tags", "updated_at"};
    Status s = CopyTable(*session, db_, "SELECT * FROM items", keyspace_, "items", item_columns);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = CopyTable(*session, db_, "SELECT category, id, title, price_cents FROM items", keyspace_,
                  "items_by_category", {"category", "id", "title", "price_cents"});
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = CopyTable(*session, db_, "SELECT * FROM reviews", keyspace_, "reviews",
                  {"item_id", "review_id", "author", "stars", "body", "created_at"});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    if (!keyspace_.empty()) {
      if (auto session = OpenCqlSession(store::cassandra::testing::CassandraPort())) {
        (void)session->Run("DROP KEYSPACE IF EXISTS " + keyspace_, 60s);
      }
    }
    CatalogSuite<kItems>::TearDownTestSuite();
  }
  void SetUp() override { SHOAL_NEED_CASSANDRA(); }

  inline static std::string keyspace_;
};

TEST_F(CassandraCatalogTest, TheCatalogRoutesAnswerTheSameJsonAsFromSqlite) {
  Result<std::string> sqlite_yaml = ExampleConfig(db_);
  ASSERT_TRUE(sqlite_yaml.ok());
  auto from_sqlite = ShoalProcess::Serve(dir_->Write("sqlite.yaml", *sqlite_yaml));
  ASSERT_TRUE(from_sqlite.ok()) << from_sqlite.status().ToString();
  auto from_cassandra = ShoalProcess::Serve(
      dir_->Write("cassandra.yaml",
                  CassandraCatalogConfig(store::cassandra::testing::CassandraPort(), keyspace_)));
  ASSERT_TRUE(from_cassandra.ok()) << from_cassandra.status().ToString();
  const std::vector<std::string> targets = CatalogTargets(db_, kItems);
  const size_t nonempty =
      ExpectSameAnswers((*from_sqlite)->port(), (*from_cassandra)->port(), targets);
  // The comparison is worth something only if most answers hold data.
  EXPECT_GT(nonempty, targets.size() / 2);
  auto b = HttpClient::Connect((*from_cassandra)->port());
  ASSERT_TRUE(b.ok());
  auto metrics = b->Get("/_shoal/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("shoal_cassandra_nodes_up 1\n"), std::string::npos) << metrics->body;
  // Per node, labelled: the one node took every miss's query.
  const std::string node =
      "{node=\"127.0.0.1:" + std::to_string(store::cassandra::testing::CassandraPort()) +
      "\",dc=\"";
  const auto sample = [&](const std::string& name) -> long long {
    const size_t at = metrics->body.find("\n" + name + node);
    if (at == std::string::npos) return -1;
    const size_t value = metrics->body.find("} ", at);
    return value == std::string::npos ? -1 : std::stoll(metrics->body.substr(value + 2));
  };
  EXPECT_GE(sample("shoal_cassandra_requests_total"), static_cast<long long>(nonempty))
      << metrics->body;
  EXPECT_EQ(sample("shoal_cassandra_errors_total"), 0) << metrics->body;
  EXPECT_EQ(sample("shoal_cassandra_node_up"), 1) << metrics->body;
  EXPECT_EQ(sample("shoal_cassandra_node_suspect"), 0) << metrics->body;
  EXPECT_GE(sample("shoal_cassandra_in_flight"), 0) << metrics->body;
  EXPECT_GE(sample("shoal_cassandra_timeouts_total"), 0) << metrics->body;
  EXPECT_GE(sample("shoal_cassandra_request_duration_seconds_count"),
            sample("shoal_cassandra_requests_total") - sample("shoal_cassandra_in_flight") -
                sample("shoal_cassandra_timeouts_total"))
      << metrics->body;
  EXPECT_NE(metrics->body.find("# TYPE shoal_cassandra_requests_total counter\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE shoal_cassandra_request_duration_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("\nshoal_cassandra_request_duration_seconds_bucket" + node),
            std::string::npos);
  EXPECT_NE(metrics->body.find("\nshoal_cassandra_speculative_launched_total 0\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE shoal_cassandra_speculative_won_total counter\n"),
            std::string::npos);
  // Where Prometheus' own checker is installed (Debian's prometheus package), it accepts the
  // page.
  if (::access("/usr/bin/promtool", X_OK) == 0) {
    const std::string file = ::testing::TempDir() + "shoal_metrics_page.txt";
    {
      std::ofstream out(file);
      out << metrics->body;
    }
    const std::string command = "/usr/bin/promtool check metrics < " + file + " 2>&1";
    const int rc = std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe): test
    EXPECT_EQ(rc, 0) << "promtool check metrics refused:\n" << metrics->body;
    std::remove(file.c_str());
  }
}

// `shoal openapi` over Cassandra: the response schemas take the CQL types of the prepared
// statements' result metadata (store/cassandra/cql_json_type.h), every column nullable.
TEST_F(CassandraCatalogTest, OpenApiTypesComeFromTheCqlColumns) {
  RunResult run = RunShoal(
      {"openapi", "-c",
       dir_->Write("openapi.yaml",
                   CassandraCatalogConfig(store::cassandra::testing::CassandraPort(), keyspace_))});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(run.out, ec);
  ASSERT_FALSE(ec) << run.out;
  const boost::json::value* item = doc.find_pointer(
      "/paths/~1v1~1items~1{id}/get/responses/200/content/application~1json/"
      "schema/properties",
      ec);
  ASSERT_NE(item, nullptr) << run.out;
  EXPECT_EQ(boost::json::serialize(item->at("id")), R"({"type":["integer","null"]})");
  EXPECT_EQ(boost::json::serialize(item->at("sku")), R"({"type":["string","null"]})");
  EXPECT_EQ(boost::json::serialize(item->at("rating")), R"({"type":["number","null"]})");
  EXPECT_EQ(item->at("tags").as_object().count("type"), 0u);  // json: free-form
  const boost::json::value* stars = doc.find_pointer(
      "/paths/~1v1~1items~1{id}~1reviews/get/responses/200/content/application~1json/schema/"
      "items/properties/stars",
      ec);
  ASSERT_NE(stars, nullptr) << run.out;
  EXPECT_EQ(boost::json::serialize(*stars), R"({"type":["integer","null"]})");
}

// A request that Cassandra refuses at execution (LIMIT 0, which prepares but is invalid to run;
// a table dropped after start, so the re-prepare fails) is a 500 or 503 whose body holds
// nothing of the database: not the node, not the query, not the server's message.
TEST_F(CassandraCatalogTest, ACassandraErrorShowsNothingOfTheDatabase) {
  auto session = OpenCqlSession(store::cassandra::testing::CassandraPort());
  ASSERT_NE(session, nullptr);
  const std::string scratch = keyspace_ + ".scratch_items";
  ASSERT_TRUE(session->Run("DROP TABLE IF EXISTS " + scratch, 60s).ok());
  ASSERT_TRUE(
      session->Run("CREATE TABLE " + scratch + " (id int PRIMARY KEY, title text)", 60s).ok());
  ASSERT_TRUE(session->Run("INSERT INTO " + scratch + " (id, title) VALUES (1, 'one')", 60s).ok());
  // The limit has no min: the operator forgot it, and Cassandra refuses LIMIT 0.
  const std::string yaml =
      CassandraCatalogConfig(store::cassandra::testing::CassandraPort(), keyspace_) +
      "  - route: /v1/unbounded/{id:int}\n"
      "    query: SELECT review_id, stars FROM reviews WHERE item_id = :id LIMIT :\"limit\"\n"
      "    params:\n"
      "      limit: { type: int }\n"
      "    result: many\n"
      "    ttl: 60s\n"
      "  - route: /v1/scratch/{id:int}\n"
      "    query: SELECT id, title FROM scratch_items WHERE id = :id\n"
      "    result: one\n"
      "    ttl: 60s\n";
  auto server = ShoalProcess::Serve(dir_->Write("cassandra-errors.yaml", yaml));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = HttpClient::Connect((*server)->port());
  ASSERT_TRUE(client.ok());
  const auto expect_nothing_of_the_database = [](const std::string& target, int status,
                                                 const std::string& body) {
    EXPECT_TRUE(status == 500 || status == 503) << target << ": " << status << " " << body;
    EXPECT_TRUE(ParseJson(body).ok()) << body;
    for (const char* leak : {"cassandra", "Cassandra", "127.0.0.1", "9042", "SELECT", "LIMIT",
                             "limit", "scratch", "strictly", "nvalid"}) {
      EXPECT_EQ(body.find(leak), std::string::npos) << target << ": " << leak << " in " << body;
    }
  };

  auto ok = client->Get("/v1/unbounded/1?limit=5");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200) << ok->body;
  for (const std::string target : {"/v1/unbounded/1?limit=0", "/v1/unbounded/1?limit=-1"}) {
    auto r = client->Get(target);
    ASSERT_TRUE(r.ok()) << target;
    expect_nothing_of_the_database(target, r->status, r->body);
  }

  auto before = client->Get("/v1/scratch/1");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->status, 200) << before->body;
  ASSERT_TRUE(session->Run("DROP TABLE " + scratch, 60s).ok());
  auto after = client->Get("/v1/scratch/2");  // not cached: goes to the dropped table
  ASSERT_TRUE(after.ok());
  expect_nothing_of_the_database("/v1/scratch/2", after->status, after->body);
}

TEST_F(CassandraCatalogTest, ShoalLoadUpsertsJsonlAndCsvAndReportsRejects) {
  const std::string ks = keyspace_ + "_load";
  auto session = OpenCqlSession(store::cassandra::testing::CassandraPort());
  ASSERT_NE(session, nullptr);
  const Status made = MakeCatalogKeyspace(*session, ks);
  ASSERT_TRUE(made.ok()) << made.ToString();
  Result<json::array> items = QueryJson(db_, "SELECT * FROM items");
  ASSERT_TRUE(items.ok());
  std::string jsonl;
  for (const json::value& row : *items) jsonl += json::serialize(row) + "\n";
  const std::string file = dir_->Write("items.jsonl", jsonl);
  const std::string target =
      "cassandra:127.0.0.1:" + std::to_string(store::cassandra::testing::CassandraPort()) + "/" +
      ks;
  RunResult run = RunShoal({"load", "--to", target, "--table", "items", "--from", file});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("load: 600 rows written, 0 rejected"), std::string::npos) << run.out;
  EXPECT_EQ(CountCqlRows(*session, ks + ".items"), kItems);
  // Again: upserts, so the same rows.
  run = RunShoal({"load", "--to", target, "--table", "items", "--from", file});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(CountCqlRows(*session, ks + ".items"), kItems);
  // A subset of the fields into the category table.
  run = RunShoal({"load", "--to", target, "--table", "items_by_category", "--columns",
                  "category,id,title,price_cents", "--from", file});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(CountCqlRows(*session, ks + ".items_by_category"), kItems);
  // CSV with rows the server or the binder refuses: reported by line, the rest written.
  const std::string csv =
      dir_->Write("reviews.csv",
                  "item_id,review_id,author,stars,body,created_at\n1,1,a,5,good,2024\n"
                  "x,2,b,4,bad id,2024\n1,3,c,not-a-number,bad stars,2024\n1,4,d,3,fine,2024\n");
  run = RunShoal({"load", "--to", target, "--table", "reviews", "--from", csv});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("2 rows written, 2 rejected"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("line 3:"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("line 4:"), std::string::npos) << run.out;
  EXPECT_EQ(CountCqlRows(*session, ks + ".reviews"), 2);
  // A table that does not exist stops the load before the first row, naming it.
  run = RunShoal({"load", "--to", target, "--table", "itemz", "--from", file});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("itemz"), std::string::npos) << run.err;
  (void)session->Run("DROP KEYSPACE IF EXISTS " + ks, 60s);
}

// With its own server (it must stop it) that also asks for a password: a wrong one is a clear
// start-up error.
TEST_F(CassandraCatalogTest, ACassandraThatStopsGives503OrStaleThenRecovers) {
  constexpr uint16_t kPort = 9342;  // storage port 7300
  TempDir own_dir;
  // scripts/cassandra.sh on another port and data directory, with PasswordAuthenticator (user
  // cassandra, password cassandra).
  const std::string data = own_dir.File("node");
  OwnNode own("scripts/cassandra.sh",
              "SHOAL_CASSANDRA_AUTH=1 SHOAL_CASSANDRA_PORT=" + std::to_string(kPort) +
                  " SHOAL_CASSANDRA_DATA='" + data + "' SHOAL_CASSANDRA_HEAP=512M",
              data);
  const int rc = own.Script("start");
  if (rc == 3) GTEST_SKIP() << "SKIPPED: Maven Central unreachable: " << own.log();
  ASSERT_EQ(rc, 0) << own.log();
  {
    auto session = OpenCqlSession(kPort, "cassandra", "cassandra");
    ASSERT_NE(session, nullptr);
    for (const std::string& statement : CatalogSchemaCql("shoal_catalog")) {
      auto r = session->Run(statement, 60s);
      ASSERT_TRUE(r.ok()) << statement << ": " << r.status().ToString();
    }
    for (int id = 1; id <= 3; ++id) {
      auto r = session->Run("INSERT INTO shoal_catalog.items (id, sku, title) VALUES (" +
                                std::to_string(id) + ", 'sku" + std::to_string(id) + "', 't')",
                            30s);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  // Entries live 1 s; a failed refresh may serve the old entry for 60 s.
  std::string yaml =
      CassandraCatalogConfig(kPort, "shoal_catalog", "1s", "  grace: 0s\n  stale_if_error: 60s");
  for (size_t p = yaml.find("ttl: 60s"); p != std::string::npos; p = yaml.find("ttl: 60s")) {
    yaml.replace(p, 8, "ttl: 1s");
  }
  const size_t keyspace_line = yaml.find("    keyspace:");
  ASSERT_NE(keyspace_line, std::string::npos);
  std::string wrong = yaml;
  wrong.insert(keyspace_line, "    user: cassandra\n    password: not-the-password\n");
  yaml.insert(keyspace_line, "    user: cassandra\n    password: cassandra\n");
  // A wrong password: shoal refuses to start, naming the config line and the server's reason.
  RunResult refused = RunShoal({"serve", "-c", own_dir.Write("wrong.yaml", wrong)}, 30s);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("store.cassandra"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("authentication failed"), std::string::npos) << refused.err;
  // No password at all: the same, saying that one is needed.
  RunResult anonymous =
      RunShoal({"check-config", "-c",
                own_dir.Write("anon.yaml", CassandraCatalogConfig(kPort, "shoal_catalog"))},
               30s);
  EXPECT_EQ(anonymous.exit_code, 1) << anonymous.err;
  EXPECT_NE(anonymous.err.find("asks for credentials"), std::string::npos) << anonymous.err;
  auto server = ShoalProcess::Serve(own_dir.Write("shoal.yaml", yaml));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = HttpClient::Connect((*server)->port());
  ASSERT_TRUE(client.ok());
  auto first = client->Get("/v1/items/1");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->status, 200) << first->body;

  ASSERT_EQ(own.Script("stop"), 0) << own.log();
  std::this_thread::sleep_for(1100ms);  // item 1 is now expired
  // Never loaded: a 503 with a JSON body, within the store timeout (plus slack).
  auto start = std::chrono::steady_clock::now();
  auto missing = client->Get("/v1/items/2");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 503) << missing->body;
  EXPECT_TRUE(ParseJson(missing->body).ok()) << missing->body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // Loaded before: the stale entry, rather than an error.
  start = std::chrono::steady_clock::now();
  auto stale = client->Get("/v1/items/1");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->status, 200) << stale->body;
  EXPECT_EQ(stale->body, first->body);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);

  ASSERT_EQ(own.Script("start"), 0) << own.log();
  // Reconnection backs off up to 10 s; allow it a generous margin.
  const auto until = std::chrono::steady_clock::now() + 40s;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto r = client->Get("/v1/items/2");
    ASSERT_TRUE(r.ok());
    status = r->status;
    if (status == 200) {
      EXPECT_NE(r->body.find("\"sku2\""), std::string::npos) << r->body;
      break;
    }
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(status, 200) << "shoal did not recover after Cassandra came back";
}

// Keyset pagination over Cassandra (api/page.h): a paged endpoint over a partition's
// clustering rows, in clustering order (id ascending in items_by_category, review_id
// descending in reviews), walked by its Links, answers every row of the partition once, in
// order, as the same endpoint over SQLite does, byte for byte and Link for Link (both servers
// sign with one cursor_secret_env); each page asked again is a HIT; a tampered cursor is a 400.
TEST_F(CassandraCatalogTest, PagedEndpointsWalkAPartitionsClusteringRowsLikeSqlite) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): set before the children start, on the test thread.
  ASSERT_EQ(setenv("SHOAL_CASSANDRA_PAGE_SECRET", "a-page-secret-for-both-servers", 1), 0);
  const std::string head = "cursor_secret_env: SHOAL_CASSANDRA_PAGE_SECRET\n";
  const std::string by_category =
      "  - route: /v2/categories/{name}/items\n"
      "    query: SELECT id, title FROM %s WHERE category = :name AND id > :after %s\n"
      "    result: many\n    ttl: 60s\n    page: { by: id, size: 4, max: 50 }\n";
  const std::string reviews =
      "  - route: /v2/items/{id:int}/reviews\n"
      "    query: SELECT review_id, stars FROM reviews WHERE item_id = :id AND review_id < "
      ":after %s\n"
      "    result: many\n    ttl: 60s\n    page: { by: review_id, size: 2, max: 50, order: desc "
      "}\n";
  const auto fill = [](std::string text, const std::string& a, const std::string& b) {
    text.replace(text.find("%s"), 2, a);
    if (!b.empty() || text.find("%s") != std::string::npos) text.replace(text.find("%s"), 2, b);
    return text;
  };
  Result<std::string> sqlite_yaml = ExampleConfig(db_);
  ASSERT_TRUE(sqlite_yaml.ok());
  auto from_sqlite = ShoalProcess::Serve(dir_->Write(
      "page-sqlite.yaml", head + *sqlite_yaml +
                              fill(by_category, "items", "ORDER BY id LIMIT :limit") +
                              fill(reviews, "ORDER BY review_id DESC LIMIT :limit", "")));
  ASSERT_TRUE(from_sqlite.ok()) << from_sqlite.status().ToString();
  // Cassandra: the partition's clustering order; LIMIT is a keyword, so its marker is quoted.
  auto from_cassandra = ShoalProcess::Serve(dir_->Write(
      "page-cassandra.yaml",
      head + CassandraCatalogConfig(store::cassandra::testing::CassandraPort(), keyspace_) +
          fill(by_category, "items_by_category", "LIMIT :\"limit\"") +
          fill(reviews, "LIMIT :\"limit\"", "")));
  ASSERT_TRUE(from_cassandra.ok()) << from_cassandra.status().ToString();
  auto a = HttpClient::Connect((*from_sqlite)->port());
  auto b = HttpClient::Connect((*from_cassandra)->port());
  ASSERT_TRUE(a.ok() && b.ok());

  const auto next_of = [](const HttpResponse& r) {
    const std::string link = r.Header("Link");
    return link.empty() ? std::string() : link.substr(1, link.find('>') - 1);
  };
  // Walk follows the Links on both servers in step and returns the rows and the page count.
  const auto walk = [&](const std::string& first, size_t* pages) {
    json::array rows;
    *pages = 0;
    for (std::string target = first; !target.empty() && *pages < 500; ++*pages) {
      SCOPED_TRACE(target);
      auto x = a->Get(target);
      auto y = b->Get(target);
      EXPECT_TRUE(x.ok() && y.ok());
      if (!x.ok() || !y.ok()) break;
      EXPECT_EQ(y->status, 200) << y->body;
      EXPECT_EQ(y->body, x->body);
      EXPECT_EQ(y->Header("Link"), x->Header("Link"));
      auto again = b->Get(target);
      EXPECT_TRUE(again.ok() && again->Header("X-Cache") == "HIT" && again->body == y->body &&
                  again->Header("Link") == y->Header("Link"));
      Result<json::value> v = ParseJson(y->body);
      EXPECT_TRUE(v.ok() && v->is_array()) << y->body;
      if (!v.ok() || !v->is_array()) break;
      for (const json::value& row : v->as_array()) rows.push_back(row);
      target = next_of(*y);
    }
    return rows;
  };

  size_t pages = 0;
  Result<json::array> busiest = QueryJson(
      db_, "SELECT category, count(*) AS n FROM items GROUP BY category ORDER BY n DESC LIMIT 1");
  ASSERT_TRUE(busiest.ok() && !busiest->empty());
  const std::string category(busiest->at(0).at("category").as_string());
  Result<json::array> want =
      QueryJson(db_, "SELECT id, title FROM items WHERE category = ?1 ORDER BY id", {category});
  ASSERT_TRUE(want.ok());
  ASSERT_GT(want->size(), 8u);
  EXPECT_EQ(walk("/v2/categories/" + category + "/items", &pages), *want);
  EXPECT_EQ(pages, (want->size() + 3) / 4);

  Result<json::array> most_reviewed = QueryJson(
      db_, "SELECT item_id, count(*) AS n FROM reviews GROUP BY item_id ORDER BY n DESC LIMIT 1");
  ASSERT_TRUE(most_reviewed.ok() && !most_reviewed->empty());
  const int64_t item = most_reviewed->at(0).at("item_id").as_int64();
  Result<json::array> want_reviews = QueryJson(
      db_, "SELECT review_id, stars FROM reviews WHERE item_id = ?1 ORDER BY review_id DESC",
      {item});
  ASSERT_TRUE(want_reviews.ok());
  ASSERT_GT(want_reviews->size(), 2u);
  EXPECT_EQ(walk("/v2/items/" + std::to_string(item) + "/reviews", &pages), *want_reviews);
  EXPECT_EQ(pages, (want_reviews->size() + 1) / 2);

  // A tampered cursor: a 400 with a JSON body, from Cassandra's server as from SQLite's.
  auto first = b->Get("/v2/categories/" + category + "/items");
  ASSERT_TRUE(first.ok());
  std::string tampered = next_of(*first);
  ASSERT_FALSE(tampered.empty());
  const size_t at = tampered.find("cursor=") + 8;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  auto bad = b->Get(tampered);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(bad->Header("Content-Type"), "application/json");
  EXPECT_NE(bad->body.find("\"status\":400"), std::string::npos) << bad->body;
}

// Tags over Cassandra (issue 17, item 1): templates from route parameters and from the rows of
// a CQL listing (columns named by the prepared result metadata), a tag purge that removes
// exactly the tagged entries, and a template naming a column the CQL query does not return
// refused with file:line.
TEST_F(CassandraCatalogTest, TagsFromParamsAndRowsArePurgedByTag) {
  const uint16_t port = store::cassandra::testing::CassandraPort();
  std::string yaml = CassandraCatalogConfig(port, keyspace_) +
                     "  - route: /v2/items/{id:int}\n"
                     "    query: SELECT id, title, category FROM items WHERE id = :id\n"
                     "    result: one\n"
                     "    ttl: 60s\n"
                     "    tags: [\"item:{id}\", \"category:{row.category}\"]\n"
                     "  - route: /v2/categories/{name}/items\n"
                     "    query: SELECT id, title FROM items_by_category WHERE category = :name\n"
                     "    result: many\n"
                     "    ttl: 60s\n"
                     "    tags: [\"category:{name}\", \"item:{row.id}\"]\n"
                     "http: { debug_headers: true }\n"
                     "admin: { token: an-admin-token-of-some-length }\n";
  auto server = ShoalProcess::Serve(dir_->Write("cassandra-tags.yaml", yaml));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = HttpClient::Connect((*server)->port());
  ASSERT_TRUE(client.ok());
  Result<json::array> first = QueryJson(db_, "SELECT id, category FROM items WHERE id = 1");
  ASSERT_TRUE(first.ok());
  const std::string category(first->at(0).at("category").as_string());
  Result<json::array> listed =
      QueryJson(db_, "SELECT id FROM items WHERE category = ?1 ORDER BY id", {category});
  ASSERT_TRUE(listed.ok());

  auto item = client->Get("/v2/items/1");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->Header("Surrogate-Key"), "item:1 category:" + category);
  auto listing = client->Get("/v2/categories/" + category + "/items");
  ASSERT_TRUE(listing.ok());
  const std::string keys = listing->Header("Surrogate-Key");
  EXPECT_EQ(keys.rfind("category:" + category + " ", 0), 0u) << keys;
  for (const json::value& row : *listed) {  // every listed item, in the clustering order
    const std::string tag = " item:" + std::to_string(row.at("id").as_int64());
    EXPECT_NE((keys + " ").find(tag + " "), std::string::npos) << tag << " in " << keys;
  }
  auto other = client->Get("/v2/items/2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(client->Get("/v2/items/2")->Header("X-Cache"), "HIT");

  const std::string body = R"({"tag":"item:1"})";
  ASSERT_TRUE(client
                  ->Send("POST /_shoal/purge HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                         "an-admin-token-of-some-length\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body)
                  .ok());
  auto purged = client->Read();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->status, 200) << purged->body;
  EXPECT_NE(purged->body.find("\"purged\":2"), std::string::npos) << purged->body;
  EXPECT_EQ(client->Get("/v2/items/1")->Header("X-Cache"), "MISS");
  EXPECT_EQ(client->Get("/v2/categories/" + category + "/items")->Header("X-Cache"), "MISS");
  EXPECT_EQ(client->Get("/v2/items/2")->Header("X-Cache"), "HIT");

  // A column the CQL query does not return: a config error naming the template's line.
  const std::string bad = CassandraCatalogConfig(port, keyspace_) +
                          "  - route: /v2/items/{id:int}\n"
                          "    query: SELECT id, title FROM items WHERE id = :id\n"
                          "    result: one\n"
                          "    ttl: 60s\n"
                          "    tags: [\"category:{row.category}\"]\n";
  const std::string file = dir_->Write("cassandra-bad-tags.yaml", bad);
  int line = 1;
  for (size_t i = 0; i < bad.find("tags: [\"category:"); ++i) line += bad[i] == '\n' ? 1 : 0;
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(file + ":" + std::to_string(line) + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column 'category', which the query does not return"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace shoal::testing
