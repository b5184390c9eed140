// CORS through the Api (cors.h, api.h): the answers of a route with a policy (hit, miss, 304,
// 400, 405), preflights answered without the cache, the per-endpoint override, and a hit that
// still allocates nothing with CORS on.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/serving.h"
#include "api/test_api_fixture.h"
#include "base/test_allocations.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;
using testing::ApiTest;
using testing::RecordingExchange;
using testing::Reply;
using testing::SinkExchange;

constexpr std::string_view kApp = "https://app.example.com";
constexpr std::string_view kAppLines =
    "Access-Control-Allow-Origin: https://app.example.com\r\n"
    "Access-Control-Expose-Headers: ETag, Age, Cache-Status, X-Cache, Link\r\n";

class ApiCorsTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    ApiOptions o = options_;
    o.cors = CorsOptions{};
    o.cors->origins = {std::string(kApp), "http://127.0.0.1:8080"};
    o.cors->headers = {"X-Api-Version"};
    for (EndpointOptions& e : o.endpoints) {
      if (e.route == "/v1/categories/{name}/items") {  // its own policy: any origin
        e.cors = CorsOptions{};
        e.cors->origins = {"*"};
        e.cors->expose_headers = {"ETag"};
      }
      if (e.route == "/v1/items/{id:int}/reviews") {  // out of the top-level one
        e.cors = CorsOptions{};
        e.cors->enabled = false;
      }
    }
    cors_api_ = std::make_unique<Api>(MakeLiveServing(router_, o, nullptr), *read_through_, cache_,
                                      clock_, nullptr);
  }

  Reply Send(std::string_view path, std::string_view query, std::vector<http::Header> headers,
             http::Method method = http::Method::kGet) {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = headers;
    RecordingExchange ex;
    cors_api_->Handle(req, ex);
    auto r = ex.answer()->Wait(10s);
    EXPECT_TRUE(r.has_value()) << "no answer for " << path;
    return Reply{r ? *r : http::Response{}, ex.deferred()};
  }

  std::unique_ptr<Api> cors_api_;
};

TEST_F(ApiCorsTest, AllowedOriginIsEchoedOnMissAndHit) {
  const Reply miss = Send("/v1/items/1", "", {{"Origin", kApp}});
  EXPECT_TRUE(miss.deferred);
  EXPECT_EQ(miss.response.status, 200);
  EXPECT_EQ(miss.response.cors_headers, kAppLines);
  EXPECT_TRUE(miss.response.vary_origin);
  EXPECT_TRUE(miss.response.vary_accept_encoding);

  const Reply hit = Send("/v1/items/1", "", {{"Origin", kApp}});
  EXPECT_FALSE(hit.deferred);
  EXPECT_EQ(hit.response.cache_status, "HIT");
  EXPECT_EQ(hit.response.cors_headers, kAppLines);
  EXPECT_TRUE(hit.response.vary_origin);

  const Reply other = Send("/v1/items/1", "", {{"Origin", "http://127.0.0.1:8080"}});
  EXPECT_NE(other.response.cors_headers.find("Allow-Origin: http://127.0.0.1:8080\r\n"),
            std::string_view::npos);

  // A 304 and a 400 of the route carry them too (the page may read the error).
  const Reply not_modified =
      Send("/v1/items/1", "", {{"Origin", kApp}, {"If-None-Match", hit.response.etag}});
  EXPECT_EQ(not_modified.response.status, 304);
  EXPECT_EQ(not_modified.response.cors_headers, kAppLines);
  const Reply bad = Send("/v1/items/x", "", {{"Origin", kApp}});
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_EQ(bad.response.cors_headers, kAppLines);
}

TEST_F(ApiCorsTest, RefusedOrAbsentOriginGetsTheAnswerWithoutCorsButVaryOrigin) {
  for (const std::vector<http::Header>& headers :
       {std::vector<http::Header>{{"Origin", "https://evil.example"}},
        std::vector<http::Header>{}}) {
    const Reply r = Send("/v1/items/2", "", headers);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.cors_headers, "");
    EXPECT_TRUE(r.response.vary_origin);
  }
}

TEST_F(ApiCorsTest, PreflightIsAnsweredFromThePolicyWithoutTheCache) {
  const Reply ok = Send("/v1/items/3", "",
                        {{"Origin", kApp},
                         {"Access-Control-Request-Method", "GET"},
                         {"Access-Control-Request-Headers", "x-api-version"}},
                        http::Method::kOptions);
  EXPECT_FALSE(ok.deferred);
  EXPECT_EQ(ok.response.status, 204);
  EXPECT_EQ(ok.response.route, "/v1/items/{id:int}");
  EXPECT_EQ(ok.response.cors_headers,
            "Access-Control-Allow-Origin: https://app.example.com\r\n"
            "Access-Control-Allow-Methods: GET, HEAD\r\n"
            "Access-Control-Allow-Headers: X-Api-Version\r\n"
            "Access-Control-Max-Age: 600\r\n");
  EXPECT_TRUE(ok.response.vary_origin);
  // Not loaded: the key is still a miss for a GET.
  EXPECT_TRUE(Send("/v1/items/3", "", {}).deferred);

  const Reply foreign =
      Send("/v1/items/3", "",
           {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}},
           http::Method::kOptions);
  EXPECT_EQ(foreign.response.status, 403);
  EXPECT_EQ(foreign.response.content_type, "application/json");
  EXPECT_EQ(foreign.response.body, R"({"error":"CORS: origin not allowed","status":403})");
  EXPECT_EQ(foreign.response.cors_headers, "");

  // OPTIONS that is not a preflight is a 405, as on a route without CORS.
  const Reply plain = Send("/v1/items/3", "", {{"Origin", kApp}}, http::Method::kOptions);
  EXPECT_EQ(plain.response.status, 405);
  EXPECT_EQ(plain.response.extra_headers, "Allow: GET, HEAD\r\n");
}

TEST_F(ApiCorsTest, AnEndpointsOwnPolicyReplacesTheTopLevelOne) {
  // categories: origins ["*"]: the same header for every Origin, none too; no Vary: Origin.
  for (const std::vector<http::Header>& headers :
       {std::vector<http::Header>{{"Origin", "https://evil.example"}},
        std::vector<http::Header>{}}) {
    const Reply r = Send("/v1/categories/tools/items", "", headers);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.cors_headers,
              "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: ETag\r\n");
    EXPECT_FALSE(r.response.vary_origin);
  }
  // reviews: cors: false: no CORS at all, and a preflight is a 405.
  const Reply r = Send("/v1/items/1/reviews", "", {{"Origin", kApp}});
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.cors_headers, "");
  EXPECT_FALSE(r.response.vary_origin);
  const Reply pre =
      Send("/v1/items/1/reviews", "", {{"Origin", kApp}, {"Access-Control-Request-Method", "GET"}},
           http::Method::kOptions);
  EXPECT_EQ(pre.response.status, 405);
}

TEST_F(ApiCorsTest, WithoutAPolicyNothingChanges) {
  const Reply r = Get("/v1/items/1", "", {{"Origin", kApp}});
  EXPECT_EQ(r.response.cors_headers, "");
  EXPECT_FALSE(r.response.vary_origin);
}

#if defined(SHOAL_COUNT_ALLOCATIONS)
TEST_F(ApiCorsTest, AHitWithCorsAllocatesNothing) {
  Send("/v1/items/1", "", {{"Origin", kApp}, {"Accept-Encoding", "gzip"}});
  Send("/v1/categories/tools/items", "", {{"Accept-Encoding", "gzip"}});
  struct Case {
    std::string_view path, origin;
    std::string_view want;
  };
  for (const Case& c :
       {Case{"/v1/items/1", kApp, kAppLines}, Case{"/v1/items/1", "https://evil.example", ""},
        Case{"/v1/categories/tools/items", "https://x.example",
             "Access-Control-Allow-Origin: *\r\n"
             "Access-Control-Expose-Headers: ETag\r\n"}}) {
    const std::vector<http::Header> headers = {{"Accept-Encoding", "gzip"}, {"Origin", c.origin}};
    http::Request req;
    req.method = http::Method::kGet;
    req.path = c.path;
    req.headers = headers;
    SinkExchange ex;
    uint64_t allocations = 0;
    {
      const ::shoal::testing::CountThisThread counter;
      cors_api_->Handle(req, ex);
      allocations = counter.count();
    }
    EXPECT_EQ(ex.response.status, 200);
    EXPECT_EQ(ex.response.cache_status, "HIT");
    EXPECT_EQ(ex.response.cors_headers, c.want) << c.path << " " << c.origin;
    EXPECT_EQ(allocations, 0u) << c.path << " " << c.origin;
  }
}
#endif

}  // namespace
}  // namespace shoal::api
