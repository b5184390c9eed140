// SolrTest: the fixture of the tests against a real Solr (label solr). scripts/solr.sh starts
// one node for every suite and exports SHOAL_SOLR_URL, _PORT and _DATA; without them a test
// skips, unless SHOAL_REQUIRE_SOLR=1 (which scripts/solr.sh sets), when it fails.
//
// Each test gets a core of its own (the shared configset `catalog`, a name unique to the
// process and the test), so suites and tests run side by side, and a work directory under the
// node's directory (Solr opens cores only inside its allowed paths). Both go at the end, with
// any core the test adds to cores_. Thread-safety: a gtest fixture (one thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "http_client.h"

namespace shoal::testing {

class SolrTest : public ::testing::Test {
 protected:
  explicit SolrTest(std::string core_prefix) : core_prefix_(std::move(core_prefix)) {}

  void SetUp() override {
    url_ = Env("SHOAL_SOLR_URL");
    if (url_.empty()) {
      if (Env("SHOAL_REQUIRE_SOLR") == "1") FAIL() << "SHOAL_REQUIRE_SOLR=1 but no SHOAL_SOLR_URL";
      GTEST_SKIP() << "no Solr: run under scripts/solr.sh with (make test does)";
    }
    port_ = static_cast<uint16_t>(std::stoi(Env("SHOAL_SOLR_PORT")));
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = Env("SHOAL_SOLR_DATA") + "/tests/" + std::to_string(::getpid()) + "-" + test;
    std::filesystem::remove_all(work_);
    std::filesystem::create_directories(work_);
    core_ = core_prefix_ + "_" + std::to_string(::getpid()) + "_" + test;
    ASSERT_EQ(Admin("action=CREATE&name=" + core_ + "&configSet=catalog"), 200);
  }
  void TearDown() override {
    if (url_.empty()) return;
    cores_.push_back(core_);
    for (const std::string& c : cores_)
      Admin("action=UNLOAD&core=" + c + "&deleteInstanceDir=true");
    if (!work_.empty()) std::filesystem::remove_all(work_);
  }

  static std::string Env(const char* name) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): tests set no variable
    return v == nullptr ? "" : v;
  }
  // Call sends one request to the node on a new connection.
  Result<HttpResponse> Call(std::string_view method, const std::string& target,
                            std::string_view body = "") {
    Result<HttpClient> c = HttpClient::Connect(port_, std::chrono::seconds(60));
    if (!c.ok()) return c.status();
    return method == "GET" ? c->Get(target) : c->RequestWithBody(method, target, body);
  }
  // Admin runs a CoreAdmin action; its HTTP status (-1 when it could not be sent).
  int Admin(const std::string& query) {
    Result<HttpResponse> r = Call("GET", "/solr/admin/cores?" + query + "&wt=json");
    return r.ok() ? r->status : -1;
  }

  std::string url_;  // the node's base URL, http://127.0.0.1:PORT/solr
  uint16_t port_ = 0;
  std::string work_;                // this test's directory
  std::string core_;                // this test's core
  std::vector<std::string> cores_;  // more cores to unload at the end

 private:
  const std::string core_prefix_;
};

}  // namespace shoal::testing
