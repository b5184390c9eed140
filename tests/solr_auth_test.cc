// `shoal solr-fetch` and `shoal load --from solr:` against a Solr that asks for a password
// (label solr). The test starts a node of its own with Basic authentication on every path
// (scripts/solr.sh with SHOAL_SOLR_AUTH=1: user shoal, password shoal-test) on a free port, in
// its work directory, and stops it by its pid at the end. A wrong password and no password are
// each a clear error naming HTTP 401, a non-zero exit, no copy presented as complete and no rows;
// the right password copies and loads. The password never appears in what shoal prints.
//
// It runs where the shared node runs (tests/lib/solr_test.h), so the jars are already cached.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/base64.h"
#include "catalog_db.h"
#include "http_client.h"
#include "own_node.h"
#include "shoal_process.h"
#include "solr/fetch.h"
#include "solr_test.h"

namespace shoal::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kUser[] = "shoal";
constexpr char kPassword[] = "shoal-test";
constexpr char kWrong[] = "not-the-password";

class SolrAuthTest : public SolrTest {
 protected:
  SolrAuthTest() : SolrTest("auth") {}
};

TEST_F(SolrAuthTest, AWrongPasswordIsAClearErrorAndTheRightOneCopiesAndLoads) {
  const uint16_t port = FreeLocalPort();
  const std::string data = work_ + "/node";
  OwnNode own("scripts/solr.sh",
              "SHOAL_SOLR_AUTH=1 SHOAL_SOLR_FRESH=1 SHOAL_SOLR_PORT=" + std::to_string(port) +
                  " SHOAL_SOLR_DATA='" + data + "'",
              data);
  const int started = own.Script("start");
  ASSERT_EQ(started, 0) << own.log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/solr";

  // Index with the password (the node refuses everything without it).
  std::string credentials;
  AppendBase64(credentials, std::string(kUser) + ":" + kPassword);
  {
    Result<HttpClient> c = HttpClient::Connect(port, std::chrono::seconds(60));
    ASSERT_TRUE(c.ok());
    const std::string docs =
        R"([{"id":"1","title":"Caf\u00e9","tags":["a","b"]},{"id":"2","title":"two"},)"
        R"({"id":"3","title":"three","tags":["c"]}])";
    const std::string request =
        "POST /solr/catalog/update?commit=true&wt=json HTTP/1.1\r\n"
        "Host: t\r\nContent-Type: application/json\r\n"
        "Authorization: Basic " +
        credentials + "\r\nContent-Length: " + std::to_string(docs.size()) + "\r\n\r\n" + docs;
    ASSERT_TRUE(c->Send(request).ok());
    Result<HttpResponse> r = c->Read();
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
    // Without it: 401, so the node really asks.
    Result<HttpClient> anonymous = HttpClient::Connect(port, std::chrono::seconds(60));
    ASSERT_TRUE(anonymous.ok());
    Result<HttpResponse> refused = anonymous->Get("/solr/catalog/select?q=*:*&wt=json");
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(refused->status, 401);
  }

  // Nothing shoal prints holds a password or the credentials' encoding.
  const auto secret_free = [&](const RunResult& r) {
    for (const std::string& secret : {std::string(kWrong), std::string(kPassword), credentials}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << secret << " in " << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << secret << " in " << r.err;
    }
  };
  // NOLINTNEXTLINE(concurrency-mt-unsafe): set on the test thread before the child starts.
  ASSERT_EQ(::setenv("SHOAL_TEST_SOLR_PASSWORD", kWrong, 1), 0);
  const auto fetch = [&](const std::string& out, std::vector<std::string> more) {
    std::vector<std::string> args = {"solr-fetch", url, "--core", "catalog", "--out", out};
    args.insert(args.end(), more.begin(), more.end());
    return RunShoal(args, std::chrono::seconds(120));
  };
  const std::vector<std::string> as_user = {"--user", kUser, "--password-env",
                                            "SHOAL_TEST_SOLR_PASSWORD"};
  RunResult r = fetch(work_ + "/wrong", as_user);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("refused the credentials (HTTP 401"), std::string::npos) << r.err;
  secret_free(r);
  EXPECT_FALSE(fs::exists(work_ + "/wrong/" + solr::kManifestName));
  r = fetch(work_ + "/anonymous", {});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("refused the credentials (HTTP 401"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(work_ + "/anonymous/" + solr::kManifestName));

  const std::string db = work_ + "/loaded.db";
  ASSERT_TRUE(MakeCatalog(db, 1).ok());  // a SQLite file; the load goes to a table of its own
  ASSERT_TRUE(ExecSql(db, "CREATE TABLE docs (id TEXT PRIMARY KEY, title TEXT, tags TEXT)").ok());
  ASSERT_EQ(::setenv("SHOAL_SOLR_PASSWORD", kWrong, 1), 0);  // NOLINT(concurrency-mt-unsafe)
  const std::vector<std::string> load = {"load",
                                         "--to",
                                         "sqlite:" + db,
                                         "--table",
                                         "docs",
                                         "--from",
                                         "solr:" + url + "/catalog?fl=id,title,tags",
                                         "--solr-user",
                                         kUser};
  r = RunShoal(load, std::chrono::seconds(120));
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("refused the credentials (HTTP 401"), std::string::npos) << r.err;
  secret_free(r);
  Result<boost::json::array> none = QueryJson(db, "SELECT count(*) AS n FROM docs");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].at("n").as_int64(), 0);

  // The right password.
  ASSERT_EQ(::setenv("SHOAL_TEST_SOLR_PASSWORD", kPassword, 1),
            0);  // NOLINT(concurrency-mt-unsafe)
  r = fetch(work_ + "/right", as_user);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  secret_free(r);
  EXPECT_TRUE(fs::exists(work_ + "/right/" + solr::kManifestName));
  ASSERT_EQ(::setenv("SHOAL_SOLR_PASSWORD", kPassword, 1), 0);  // NOLINT(concurrency-mt-unsafe)
  r = RunShoal(load, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  secret_free(r);
  EXPECT_NE(r.out.find("3 rows written, 0 rejected"), std::string::npos) << r.out;
  Result<boost::json::array> rows = QueryJson(db, "SELECT id, title, tags FROM docs ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].at("title").as_string(), "Caf\xc3\xa9");
  EXPECT_EQ((*rows)[0].at("tags").as_string(), R"(["a","b"])");
  EXPECT_EQ((*rows)[1].at("tags").as_string(), "[]");
  EXPECT_EQ(own.Script("stop"), 0) << own.log();
}

}  // namespace
}  // namespace shoal::testing
