// `shoal load --from solr:URL` against a real Solr (label solr; tests/lib/solr_test.h). The
// catalog's items (and reviews), indexed into cores of their own under other field names (the
// test configset's dynamic fields), loaded back with --map:
// - into an empty SQLite catalog, they must equal the original rows column for column: numbers
//   exact, multi-valued tags as JSON arrays ("[]" for none), dates as written, unicode as it
//   was. 2,500 items make three cursorMark pages;
// - into a keyspace of the shared Cassandra (tests/lib/cassandra_catalog.h), shoal over it must
//   answer every catalog route as shoal over the original SQLite file does;
// - with --purge, a running shoal serves the reloaded rows.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "cassandra_catalog.h"
#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"
#include "solr_test.h"
#include "store/cassandra/cassandra_test_util.h"

namespace shoal::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// The items' fields in the test configset, and the --map flags that give them their catalog
// column names back.
constexpr char kItemFields[] =
    "id,sku_s,title,category_s,price_cents_i,stock,price,tags,updated_at_dt";
const std::vector<std::string> kItemMaps = {"--map", "sku_s=sku",
                                            "--map", "category_s=category",
                                            "--map", "price_cents_i=price_cents",
                                            "--map", "price=rating",
                                            "--map", "updated_at_dt=updated_at"};

class SolrLoadTest : public SolrTest {
 protected:
  SolrLoadTest() : SolrTest("load") {}

  // EmptyCatalog writes a catalog with its tables and no rows.
  static Status EmptyCatalog(const std::string& path) {
    if (Status st = MakeCatalog(path, 1); !st.ok()) return st;
    return ExecSql(path, "DELETE FROM items; DELETE FROM reviews;");
  }

  // Index posts `docs` to `core` and commits; a failure is a test failure.
  void Index(const std::string& core, const json::array& docs) {
    Result<HttpResponse> indexed =
        Call("POST", "/solr/" + core + "/update?commit=true&wt=json", json::serialize(docs));
    ASSERT_TRUE(indexed.ok() && indexed->status == 200) << (indexed.ok() ? indexed->body : "");
  }

  // ItemDocs are the catalog's item rows as Solr documents under the configset's names: *_s
  // strings, *_i ints, *_dt dates; rating goes in the double field `price`, tags (a JSON
  // array's text in SQLite) in the multi-valued `tags`.
  static json::array ItemDocs(const json::array& items) {
    json::array docs;
    for (const json::value& v : items) {
      const json::object& r = v.as_object();
      json::object d;
      d["id"] = std::to_string(r.at("id").as_int64());
      d["sku_s"] = r.at("sku");
      d["title"] = r.at("title");
      d["category_s"] = r.at("category");
      d["price_cents_i"] = r.at("price_cents");
      d["stock"] = r.at("stock");
      if (!r.at("rating").is_null()) d["price"] = r.at("rating");
      d["tags"] = json::parse(r.at("tags").as_string());
      d["updated_at_dt"] = r.at("updated_at");
      docs.push_back(std::move(d));
    }
    return docs;
  }

  // LoadItems runs `shoal load` from `core` (query `q`) into `to`'s table `table`.
  RunResult LoadItems(const std::string& to, const std::string& table,
                      const std::string& query = "q=*:*",
                      const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {
        "load",
        "--to",
        to,
        "--table",
        table,
        "--from",
        "solr:" + url_ + "/" + core_ + "?" + query + "&fl=" + kItemFields};
    args.insert(args.end(), kItemMaps.begin(), kItemMaps.end());
    args.insert(args.end(), more.begin(), more.end());
    return RunShoal(args, std::chrono::seconds(120));
  }
};

TEST_F(SolrLoadTest, TheCatalogsItemsComeBackFromSolrColumnForColumn) {
  const std::string original = work_ + "/original.db";
  ASSERT_TRUE(MakeCatalog(original, 2500).ok());
  Result<json::array> items = QueryJson(original, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2500u);

  Index(core_, ItemDocs(*items));

  const std::string loaded = work_ + "/loaded.db";
  ASSERT_TRUE(EmptyCatalog(loaded).ok());
  const RunResult r = LoadItems("sqlite:" + loaded, "items");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2500 rows written, 0 rejected"), std::string::npos) << r.out;
  Result<json::array> back = QueryJson(loaded, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    ASSERT_EQ((*back)[i], (*items)[i]) << "row " << i;
  }

  // --since: only the items updated on or after a date.
  const std::string recent = work_ + "/recent.db";
  ASSERT_TRUE(EmptyCatalog(recent).ok());
  Result<json::array> expected =
      QueryJson(original, "SELECT count(*) AS n FROM items WHERE updated_at >= '2024-07-01'");
  ASSERT_TRUE(expected.ok());
  const RunResult since = LoadItems("sqlite:" + recent, "items", "q=*:*",
                                    {"--since", "updated_at_dt=2024-07-01T00:00:00Z"});
  ASSERT_EQ(since.exit_code, 0) << since.out << since.err;
  Result<json::array> got = QueryJson(recent, "SELECT count(*) AS n FROM items");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0].at("n"), (*expected)[0].at("n"));
  EXPECT_GT((*got)[0].at("n").as_int64(), 0);
  EXPECT_LT((*got)[0].at("n").as_int64(), 2500);
}

// Items and reviews from Solr into the catalog's three Cassandra tables (items_by_category from
// the same item core, with fewer fields): shoal over that keyspace answers every catalog route
// byte for byte as shoal over the SQLite file the documents came from.
TEST_F(SolrLoadTest, TheCatalogLoadedIntoCassandraAnswersLikeTheSqliteOriginal) {
  SHOAL_NEED_CASSANDRA();
  constexpr int kItems = 600;
  const std::string original = work_ + "/original.db";
  ASSERT_TRUE(MakeCatalog(original, kItems).ok());
  Result<json::array> items = QueryJson(original, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  json::array item_docs = ItemDocs(*items);
  for (json::value& d : item_docs) {  // the day of each update, for a CQL date column
    const std::string updated(d.at("updated_at_dt").as_string());
    d.as_object()["day_dt"] = updated.substr(0, 10) + "T00:00:00Z";
  }
  Index(core_, item_docs);
  // Reviews in a core of their own, keyed "item-review".
  const std::string reviews_core = core_ + "_reviews";
  ASSERT_EQ(Admin("action=CREATE&name=" + reviews_core + "&configSet=catalog"), 200);
  cores_.push_back(reviews_core);
  Result<json::array> reviews = QueryJson(original, "SELECT * FROM reviews");
  ASSERT_TRUE(reviews.ok()) << reviews.status().ToString();
  ASSERT_GT(reviews->size(), static_cast<size_t>(kItems));
  json::array review_docs;
  for (const json::value& v : *reviews) {
    const json::object& r = v.as_object();
    review_docs.push_back(json::object{{"id", std::to_string(r.at("item_id").as_int64()) + "-" +
                                                  std::to_string(r.at("review_id").as_int64())},
                                       {"item_id_l", r.at("item_id")},
                                       {"review_id_l", r.at("review_id")},
                                       {"author_s", r.at("author")},
                                       {"stars_i", r.at("stars")},
                                       {"body", r.at("body")},
                                       {"created_at_dt", r.at("created_at")}});
  }
  Index(reviews_core, review_docs);

  const uint16_t cassandra = store::cassandra::testing::CassandraPort();
  const std::string keyspace = store::cassandra::testing::UniqueKeyspace("shoal_solr_load");
  auto session = OpenCqlSession(cassandra);
  ASSERT_NE(session, nullptr);
  const Status made = MakeCatalogKeyspace(*session, keyspace);
  struct DropAtEnd {  // the keyspace goes however the test ends
    store::cassandra::Session* session;
    std::string keyspace;
    ~DropAtEnd() { (void)session->Run("DROP KEYSPACE IF EXISTS " + keyspace, 60s); }
  } drop{session.get(), keyspace};
  ASSERT_TRUE(made.ok()) << made.ToString();
  // Solr's dates into CQL's own types too (the catalog keeps them as text).
  ASSERT_TRUE(session
                  ->Run("CREATE TABLE " + keyspace +
                            ".items_dated (id bigint PRIMARY KEY, updated_at timestamp, day date)",
                        60s)
                  .ok());
  const std::string to = "cassandra:127.0.0.1:" + std::to_string(cassandra) + "/" + keyspace;

  RunResult r = LoadItems(to, "items");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(kItems) + " rows written, 0 rejected"), std::string::npos)
      << r.out;
  r = RunShoal({"load", "--to", to, "--table", "items_by_category", "--from",
                "solr:" + url_ + "/" + core_ + "?q=*:*&fl=category_s,id,title,price_cents_i",
                "--map", "category_s=category", "--map", "price_cents_i=price_cents"},
               120s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunShoal({"load", "--to", to, "--table", "reviews", "--from",
                "solr:" + url_ + "/" + reviews_core +
                    "?q=*:*&fl=item_id_l,review_id_l,author_s,stars_i,body,created_at_dt",
                "--map", "item_id_l=item_id", "--map", "review_id_l=review_id", "--map",
                "author_s=author", "--map", "stars_i=stars", "--map", "created_at_dt=created_at"},
               120s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(reviews->size()) + " rows written, 0 rejected"),
            std::string::npos)
      << r.out;
  r = RunShoal({"load", "--to", to, "--table", "items_dated", "--from",
                "solr:" + url_ + "/" + core_ + "?q=*:*&fl=id,updated_at_dt,day_dt", "--map",
                "updated_at_dt=updated_at", "--map", "day_dt=day"},
               120s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountCqlRows(*session, keyspace + ".items"), kItems);
  EXPECT_EQ(CountCqlRows(*session, keyspace + ".items_dated"), kItems);
  EXPECT_EQ(CountCqlRows(*session, keyspace + ".items_by_category"), kItems);
  EXPECT_EQ(CountCqlRows(*session, keyspace + ".reviews"), static_cast<int64_t>(reviews->size()));

  Result<std::string> sqlite_yaml = ExampleConfig(original);
  ASSERT_TRUE(sqlite_yaml.ok());
  TempDir configs;
  auto from_sqlite = ShoalProcess::Serve(configs.Write("sqlite.yaml", *sqlite_yaml));
  ASSERT_TRUE(from_sqlite.ok()) << from_sqlite.status().ToString();
  auto from_cassandra = ShoalProcess::Serve(
      configs.Write("cassandra.yaml", CassandraCatalogConfig(cassandra, keyspace) +
                                          "  - route: /v1/dated/{id:int}\n"
                                          "    query: SELECT id, updated_at, day FROM "
                                          "items_dated WHERE id = :id\n"
                                          "    result: one\n"
                                          "    ttl: 60s\n"));
  ASSERT_TRUE(from_cassandra.ok()) << from_cassandra.status().ToString();
  const std::vector<std::string> targets = CatalogTargets(original, kItems);
  const size_t nonempty =
      ExpectSameAnswers((*from_sqlite)->port(), (*from_cassandra)->port(), targets);
  EXPECT_GT(nonempty, targets.size() / 2);
  // The timestamps and dates read back as the instants and days Solr held (rendered by CQL
  // type: milliseconds always written).
  Result<HttpClient> dated = HttpClient::Connect((*from_cassandra)->port());
  ASSERT_TRUE(dated.ok());
  for (size_t i = 0; i < items->size(); i += 37) {
    const json::object& item = (*items)[i].as_object();
    std::string updated(item.at("updated_at").as_string());
    ASSERT_EQ(updated.size(), 20u) << updated;  // YYYY-MM-DDThh:mm:ssZ
    const std::string id = std::to_string(item.at("id").as_int64());
    const std::string expected = "{\"id\":" + id + ",\"updated_at\":\"" + updated.substr(0, 19) +
                                 ".000Z\",\"day\":\"" + updated.substr(0, 10) + "\"}";
    Result<HttpResponse> got = dated->Get("/v1/dated/" + id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->body, expected);
  }
}

// `--purge` with a Solr source: the load of one changed document soft-purges its tag on a
// running shoal, which then serves the new title; an item the load did not touch stays a HIT.
TEST_F(SolrLoadTest, ALoadFromSolrPurgesTheTagsOfItsRows) {
  const std::string db = work_ + "/served.db";
  ASSERT_TRUE(MakeCatalog(db, 50).ok());
  Result<json::array> items = QueryJson(db, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  Index(core_, ItemDocs(*items));
  Result<std::string> config = ExampleConfig(db);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const size_t ttl = config->find("    ttl: 60s");
  ASSERT_NE(ttl, std::string::npos);
  config->replace(ttl, 12, "    ttl: 300s\n    tags: [\"item:{id}\"]");
  const std::string token = "an-admin-token-for-solr-purge";
  *config += "admin:\n  token: " + token + "\n";
  TempDir configs;
  auto node = ShoalProcess::Serve(configs.Write("shoal.yaml", *config));
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  Result<HttpClient> client = HttpClient::Connect((*node)->port());
  ASSERT_TRUE(client.ok());
  for (const char* target : {"/v1/items/7", "/v1/items/8"}) {
    ASSERT_EQ(client->Get(target)->Header("X-Cache"), "MISS");
    ASSERT_EQ(client->Get(target)->Header("X-Cache"), "HIT");
  }

  json::array changed = ItemDocs(json::array{(*items)[6]});
  changed[0].as_object()["title"] = "Reloaded from Solr";
  Index(core_, changed);
  ASSERT_EQ(::setenv("SHOAL_ADMIN_TOKEN", token.c_str(), 1), 0);  // NOLINT(concurrency-mt-unsafe)
  const std::unique_ptr<const char, void (*)(const char*)> unset(
      "SHOAL_ADMIN_TOKEN", [](const char* name) { ::unsetenv(name); });
  const RunResult load =
      LoadItems("sqlite:" + db, "items", "q=id:7",
                {"--purge", "http://127.0.0.1:" + std::to_string((*node)->port()), "--purge-tag",
                 "item:{id}"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  EXPECT_NE(load.out.find("1 rows written, 0 rejected"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("; 1 tags purged (soft, 1 entries"), std::string::npos) << load.out;
  HttpResponse seven;
  for (int i = 0; i < 200; ++i) {
    seven = *client->Get("/v1/items/7");
    if (seven.Header("X-Cache") == "HIT" && seven.body.find("Reloaded") != std::string::npos) break;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_NE(seven.body.find("\"title\":\"Reloaded from Solr\""), std::string::npos) << seven.body;
  EXPECT_EQ(client->Get("/v1/items/8")->Header("X-Cache"), "HIT");
}

TEST_F(SolrLoadTest, BadSolrInputGetsAClearError) {
  const std::string db = work_ + "/x.db";
  ASSERT_TRUE(EmptyCatalog(db).ok());
  auto load = [&](const std::string& from, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"load",   "--to", "sqlite:" + db, "--table", "items",
                                     "--from", from};
    args.insert(args.end(), more.begin(), more.end());
    return RunShoal(args);
  };
  RunResult r = load("solr:" + url_ + "/no_such_core?fl=id");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no core"), std::string::npos) << r.err;
  r = load("solr:" + url_ + "/" + core_ + "?fl=id&sort=id+desc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'sort'"), std::string::npos) << r.err;
  r = load("solr:" + url_ + "/" + core_ + "?fl=id", {"--map", "nonsense"});
  EXPECT_EQ(r.exit_code, 2);
  r = load("solr:" + url_ + "/" + core_ + "?fl=id", {"--map", "other=x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'other' is not among the fields"), std::string::npos) << r.err;
  // Solr's own Jetty under a path with no Solr behind it.
  r = load("solr:http://127.0.0.1:" + std::to_string(port_) + "/elsewhere/" + core_ + "?fl=id");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
  r = load("solr:http://127.0.0.1:" + std::to_string(FreeLocalPort()) + "/solr/c?fl=id");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

// A disk that fills during the load (a file-size limit of about one and a half batches of
// rows, SIGXFSZ ignored so the write fails with EFBIG): one clear reason and exit status 1, the
// load stopped rather than rejecting every document after it, whole committed batches in the
// database, and the same load run again completes it.
TEST_F(SolrLoadTest, AFullDiskStopsTheLoadWithAClearError) {
  const std::string original = work_ + "/original.db";
  ASSERT_TRUE(MakeCatalog(original, 2500).ok());
  Result<json::array> items = QueryJson(original, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  Index(core_, ItemDocs(*items));
  const std::string db = work_ + "/small.db";
  ASSERT_TRUE(EmptyCatalog(db).ok());
  const std::string from = "solr:" + url_ + "/" + core_ + "?q=*:*&fl=" + kItemFields;
  // /bin/sh's `ulimit -f` counts 512-byte blocks (dash, and bash as sh). The rows go to the
  // write-ahead log first: a batch of 1,000 takes about 180 KB of it.
  std::string cmd = "trap '' XFSZ; ulimit -f " + std::to_string(270 * 1024 / 512) + "; exec '" +
                    ShoalBinary() + "' load --to 'sqlite:" + db + "' --table items --from '" +
                    from + "'";
  for (const std::string& m : kItemMaps) cmd += " '" + m + "'";
  cmd += " 2>&1";
  const RunResult run = RunShell(cmd);
  const std::string& output = run.out;
  EXPECT_EQ(run.exit_code, 1) << output;
  // One clear reason, and the load stopped there rather than rejecting every document.
  EXPECT_NE(output.find("the load stopped: "), std::string::npos) << output;
  EXPECT_NE(output.find("small.db"), std::string::npos) << output;
  unsigned long long written = 0, rejected = 0;
  const size_t at = output.rfind("load: ", output.find(" rows written, "));
  ASSERT_NE(at, std::string::npos) << output;
  ASSERT_EQ(std::sscanf(output.c_str() + at, "load: %llu rows written, %llu rejected", &written,
                        &rejected),
            2)
      << output;
  EXPECT_GT(written, 0u) << output;
  EXPECT_EQ(written % 1000, 0u) << output;  // whole batches
  EXPECT_LT(written + rejected, 2500u) << output;
  Result<json::array> kept = QueryJson(db, "SELECT count(*) AS n FROM items");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->at(0).at("n").as_int64(), static_cast<int64_t>(written));
  const RunResult again = LoadItems("sqlite:" + db, "items");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  Result<json::array> back = QueryJson(db, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *items);
}

}  // namespace
}  // namespace shoal::testing
