// Api tests for the security review's fixes: the gzip variant has its own strong ETag (L7),
// and /_shoal/metrics is rendered at most once a second whatever the request rate (L9).
#include <string>

#include <gtest/gtest.h>

#include "api/test_api_fixture.h"
#include "cache/test_gzip.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;
using testing::ApiTest;
using testing::Reply;

// RFC 9110 8.8.3: two representations of one resource with different content codings are
// different representations, so they need different strong ETags. The gzip one is the
// identity one with "-gz" inside the quotes; If-None-Match with either form revalidates
// (both name the same version of the body), and the 304 carries the served variant's tag.
TEST_F(ApiTest, GzipAndIdentityVariantsHaveDifferentStrongEtags) {
  Reply plain = Get("/v1/items/1");
  const std::string etag(plain.response.etag);
  ASSERT_GE(etag.size(), 3u);
  ASSERT_EQ(etag.front(), '"');
  ASSERT_EQ(etag.back(), '"');
  const std::string gz_etag = etag.substr(0, etag.size() - 1) + "-gz\"";

  Reply gz = Get("/v1/items/1", "", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(gz.response.content_encoding, "gzip");
  EXPECT_EQ(gz.response.etag, gz_etag);
  EXPECT_EQ(cache::testing::Gunzip(gz.body()), plain.body());
  // The identity variant keeps its tag after the gzip one exists.
  EXPECT_EQ(Get("/v1/items/1").response.etag, etag);

  for (const std::string& inm : {etag, gz_etag, "W/" + gz_etag, "\"x\", " + gz_etag}) {
    Reply r = Get("/v1/items/1", "", {{"Accept-Encoding", "gzip"}, {"If-None-Match", inm}});
    EXPECT_EQ(r.response.status, 304) << inm;
    EXPECT_EQ(r.response.etag, gz_etag) << inm;
    Reply p = Get("/v1/items/1", "", {{"If-None-Match", inm}});
    EXPECT_EQ(p.response.status, 304) << inm;
    EXPECT_EQ(p.response.etag, etag) << inm;
  }
  for (const std::string& inm : {etag.substr(0, etag.size() - 1) + "-gzip\"",
                                 std::string("\"-gz\""), std::string("\"x-gz\"")}) {
    Reply r = Get("/v1/items/1", "", {{"Accept-Encoding", "gzip"}, {"If-None-Match", inm}});
    EXPECT_EQ(r.response.status, 200) << inm;
    EXPECT_EQ(r.response.etag, gz_etag) << inm;
  }
  // A body too small to compress is sent as it is, with the identity tag.
  Reply small = Get("/v1/items/999/reviews", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_TRUE(small.response.content_encoding.empty());
  EXPECT_EQ(small.response.etag.find("-gz"), std::string_view::npos);
}

TEST(HeaderParsingTest, GzipEtag) {
  EXPECT_EQ(cache::GzipEtag("\"abc\""), "\"abc-gz\"");
  EXPECT_EQ(cache::GzipEtag("W/\"abc\""), "W/\"abc-gz\"");
  EXPECT_EQ(cache::GzipEtag("\"\""), "\"-gz\"");
  EXPECT_EQ(cache::GzipEtag("abc"), "");  // not a quoted tag: none
}

// One render per second: a scrape within a second of the last one gets the same text, even
// though the counters moved meanwhile; the clock moving on renders again.
TEST_F(ApiTest, MetricsAreRenderedAtMostOncePerSecond) {
  Reply first = Get("/_shoal/metrics");
  ASSERT_EQ(first.response.status, 200);
  const std::string text(first.body());
  EXPECT_NE(text.find("shoal_api_metrics_renders_total 1\n"), std::string::npos) << text;
  Get("/v1/items/1");
  Get("/v1/items/2");
  for (int i = 0; i < 20; ++i) {
    Reply again = Get("/_shoal/metrics");
    EXPECT_EQ(again.body(), text);
  }
  clock_.Advance(999ms);
  EXPECT_EQ(Get("/_shoal/metrics").body(), text);
  clock_.Advance(1ms);
  Reply later = Get("/_shoal/metrics");
  EXPECT_NE(later.body(), text);
  EXPECT_NE(later.body().find("shoal_api_requests_endpoint_total 2\n"), std::string_view::npos)
      << later.body();
  EXPECT_NE(later.body().find("shoal_api_metrics_renders_total 2\n"), std::string_view::npos);
}

}  // namespace
}  // namespace shoal::api
