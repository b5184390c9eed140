// `shoal load --from solr:URL` against a real Solr (label solr; tests/lib/solr_test.h): the
// catalog's items, indexed into a core of their own under other field names (the test configset's
// dynamic fields), loaded back into an empty SQLite catalog with --map, must equal the original
// rows column for column: numbers exact, multi-valued tags as JSON arrays ("[]" for none), dates as
// written, unicode as it was. 2,500 items make three cursorMark pages.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"
#include "solr_test.h"

namespace shoal::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class SolrLoadTest : public SolrTest {
 protected:
  SolrLoadTest() : SolrTest("load") {}

  // EmptyCatalog writes a catalog with its tables and no rows.
  static Status EmptyCatalog(const std::string& path) {
    if (Status st = MakeCatalog(path, 1); !st.ok()) return st;
    return ExecSql(path, "DELETE FROM items; DELETE FROM reviews;");
  }
};

TEST_F(SolrLoadTest, TheCatalogsItemsComeBackFromSolrColumnForColumn) {
  const std::string original = work_ + "/original.db";
  ASSERT_TRUE(MakeCatalog(original, 2500).ok());
  Result<json::array> items = QueryJson(original, "SELECT * FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2500u);

  // Index them under the configset's names: *_s strings, *_i ints, *_dt dates; rating goes in
  // the double field `price`, tags (a JSON array's text in SQLite) in the multi-valued `tags`.
  json::array docs;
  for (const json::value& v : *items) {
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
  Result<HttpResponse> indexed =
      Call("POST", "/solr/" + core_ + "/update?commit=true&wt=json", json::serialize(docs));
  ASSERT_TRUE(indexed.ok() && indexed->status == 200) << (indexed.ok() ? indexed->body : "");

  const std::string loaded = work_ + "/loaded.db";
  ASSERT_TRUE(EmptyCatalog(loaded).ok());
  const RunResult r = RunShoal(
      {"load", "--to", "sqlite:" + loaded, "--table", "items", "--from",
       "solr:" + url_ + "/" + core_ +
           "?q=*:*&fl=id,sku_s,title,category_s,price_cents_i,stock,price,tags,updated_at_dt",
       "--map", "sku_s=sku", "--map", "category_s=category", "--map", "price_cents_i=price_cents",
       "--map", "price=rating", "--map", "updated_at_dt=updated_at"},
      std::chrono::seconds(120));
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
  const RunResult since =
      RunShoal({"load", "--to", "sqlite:" + recent, "--table", "items", "--from",
                "solr:" + url_ + "/" + core_ +
                    "?fl=id,sku_s,title,category_s,price_cents_i,stock,price,tags,updated_at_dt",
                "--map", "sku_s=sku", "--map", "category_s=category", "--map",
                "price_cents_i=price_cents", "--map", "price=rating", "--map",
                "updated_at_dt=updated_at", "--since", "updated_at_dt=2024-07-01T00:00:00Z"},
               std::chrono::seconds(120));
  ASSERT_EQ(since.exit_code, 0) << since.out << since.err;
  Result<json::array> got = QueryJson(recent, "SELECT count(*) AS n FROM items");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0].at("n"), (*expected)[0].at("n"));
  EXPECT_GT((*got)[0].at("n").as_int64(), 0);
  EXPECT_LT((*got)[0].at("n").as_int64(), 2500);
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
  r = load("solr:http://127.0.0.1:" + std::to_string(FreeLocalPort()) + "/solr/c?fl=id");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoal::testing
