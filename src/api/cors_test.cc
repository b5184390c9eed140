// CORS policy: origin parsing, the option checks, and the header lines of each answer.
#include "api/cors.h"

#include <string>

#include <gtest/gtest.h>

namespace shoal::api {
namespace {

using namespace std::chrono_literals;

std::string Normalized(std::string_view text) {
  Result<std::string> r = NormalizeOrigin(text);
  return r.ok() ? *r : "error: " + std::string(r.status().message());
}

TEST(CorsOriginTest, NormalizesToTheSerializedForm) {
  EXPECT_EQ(Normalized("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(Normalized("HTTPS://App.Example.COM"), "https://app.example.com");
  EXPECT_EQ(Normalized("https://app.example.com:443"), "https://app.example.com");
  EXPECT_EQ(Normalized("http://app.example.com:80"), "http://app.example.com");
  EXPECT_EQ(Normalized("http://app.example.com:443"), "http://app.example.com:443");
  EXPECT_EQ(Normalized("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(Normalized("http://localhost:08080"), "http://localhost:8080");
  EXPECT_EQ(Normalized("http://[::1]:3000"), "http://[::1]:3000");
  EXPECT_EQ(Normalized("http://[FE80::1]"), "http://[fe80::1]");
  EXPECT_EQ(Normalized("tauri://localhost"), "tauri://localhost");
}

TEST(CorsOriginTest, RefusesWhatIsNotAnOrigin) {
  for (std::string_view bad : {"",
                               "*",
                               "null",
                               "app.example.com",
                               "https://",
                               "https://app.example.com/",
                               "https://app.example.com/path",
                               "https://app.example.com?x=1",
                               "https://a.com#f",
                               "https://user@app.example.com",
                               "https://app.example.com:",
                               "https://a.com:65536",
                               "https://a.com:0",
                               "https://a.com:8x",
                               "https:// a.com",
                               "1http://a.com",
                               "https://[::1",
                               "https://[zz::1]",
                               "https://[::1]x",
                               "https://a.com:1:2",
                               "https://bücher.example"}) {
    const Result<std::string> r = NormalizeOrigin(bad);
    EXPECT_FALSE(r.ok()) << bad << " -> " << (r.ok() ? *r : "");
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find("is not an origin"), std::string::npos) << bad;
    }
  }
  EXPECT_NE(Normalized("https://a.com/").find("no path"), std::string::npos);
}

TEST(CorsOptionsTest, Checks) {
  CorsOptions o;
  o.origins = {"https://a.com"};
  EXPECT_TRUE(CheckCorsOptions(o).ok());
  o.credentials = true;
  EXPECT_TRUE(CheckCorsOptions(o).ok());

  CorsOptions star;
  star.origins = {"*"};
  EXPECT_TRUE(CheckCorsOptions(star).ok());
  star.credentials = true;
  EXPECT_NE(CheckCorsOptions(star).message().find("cors.origins: \"*\" is not allowed with "
                                                  "credentials"),
            std::string::npos);
  star.credentials = false;
  star.origins = {"*", "https://a.com"};
  EXPECT_NE(CheckCorsOptions(star).message().find("only entry"), std::string::npos);

  CorsOptions h;
  h.origins = {"https://a.com"};
  h.headers = {"*"};
  EXPECT_TRUE(CheckCorsOptions(h).ok());
  h.credentials = true;
  EXPECT_NE(CheckCorsOptions(h).message().find("cors.headers"), std::string::npos);
  h.credentials = false;
  h.headers = {"X-Ok", "bad header"};
  EXPECT_NE(CheckCorsOptions(h).message().find("'bad header' is not a header name"),
            std::string::npos);
  h.headers = {};
  h.expose_headers = {"*"};
  h.credentials = true;
  EXPECT_NE(CheckCorsOptions(h).message().find("cors.expose_headers"), std::string::npos);

  CorsOptions m;
  m.origins = {"https://a.com"};
  m.methods = {"GET", "POST"};
  EXPECT_NE(CheckCorsOptions(m).message().find("'POST': an endpoint answers only GET and HEAD"),
            std::string::npos);
  m.methods = {};
  EXPECT_FALSE(CheckCorsOptions(m).ok());

  CorsOptions none;
  EXPECT_NE(CheckCorsOptions(none).message().find("at least one origin"), std::string::npos);
  none.enabled = false;  // cors: false needs nothing
  EXPECT_TRUE(CheckCorsOptions(none).ok());
}

TEST(CorsPolicyTest, EchoesAnAllowedOriginExactlyAndVariesByOrigin) {
  CorsOptions o;
  o.origins = {"https://b.example", "https://a.example", "http://127.0.0.1:8080"};
  const auto p = CorsPolicy::Compile(o);

  const CorsHeaders a = p->ForRequest("https://a.example");
  EXPECT_EQ(a.lines,
            "Access-Control-Allow-Origin: https://a.example\r\n"
            "Access-Control-Expose-Headers: ETag, Age, Cache-Status, X-Cache, Link\r\n");
  EXPECT_TRUE(a.vary_origin);
  EXPECT_EQ(p->ForRequest("http://127.0.0.1:8080").lines.substr(0, 50),
            "Access-Control-Allow-Origin: http://127.0.0.1:8080");

  // Refused or absent: no CORS lines, but the answer still varies by Origin.
  for (std::string_view refused : {"https://c.example", "https://a.example.evil",
                                   "https://A.example", "https://a.exampl", "null", ""}) {
    const CorsHeaders r = p->ForRequest(refused);
    EXPECT_EQ(r.lines, "") << refused;
    EXPECT_TRUE(r.vary_origin) << refused;
  }
  // The lines are interned: a second policy from the same config points at the same text.
  const auto again = CorsPolicy::Compile(o);
  EXPECT_EQ(again->ForRequest("https://a.example").lines.data(), a.lines.data());
}

TEST(CorsPolicyTest, CredentialsAndExposeHeaders) {
  CorsOptions o;
  o.origins = {"https://a.example"};
  o.credentials = true;
  o.expose_headers = {};
  const auto p = CorsPolicy::Compile(o);
  EXPECT_EQ(p->ForRequest("https://a.example").lines,
            "Access-Control-Allow-Origin: https://a.example\r\n"
            "Access-Control-Allow-Credentials: true\r\n");
}

TEST(CorsPolicyTest, AnyOriginIsTheSameForEveryRequest) {
  CorsOptions o;
  o.origins = {"*"};
  o.expose_headers = {"ETag"};
  const auto p = CorsPolicy::Compile(o);
  for (std::string_view origin : {"https://a.example", "", "null"}) {
    const CorsHeaders h = p->ForRequest(origin);
    EXPECT_EQ(h.lines,
              "Access-Control-Allow-Origin: *\r\n"
              "Access-Control-Expose-Headers: ETag\r\n");
    EXPECT_FALSE(h.vary_origin);
  }
  const http::Response r = p->Preflight("https://x.example", "GET");
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.vary_origin);
  EXPECT_EQ(r.cors_headers,
            "Access-Control-Allow-Origin: *\r\n"
            "Access-Control-Allow-Methods: GET, HEAD\r\n"
            "Access-Control-Max-Age: 600\r\n");
}

TEST(CorsPolicyTest, Preflight) {
  CorsOptions o;
  o.origins = {"https://a.example"};
  o.headers = {"X-Api-Version", "Authorization"};
  o.methods = {"GET"};
  o.max_age = 90s;
  o.credentials = true;
  const auto p = CorsPolicy::Compile(o);

  const http::Response ok = p->Preflight("https://a.example", "GET");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.body, "");
  EXPECT_EQ(ok.content_type, "");
  EXPECT_TRUE(ok.vary_origin);
  EXPECT_EQ(ok.cors_headers,
            "Access-Control-Allow-Origin: https://a.example\r\n"
            "Access-Control-Allow-Credentials: true\r\n"
            "Access-Control-Allow-Methods: GET\r\n"
            "Access-Control-Allow-Headers: X-Api-Version, Authorization\r\n"
            "Access-Control-Max-Age: 90\r\n");

  const http::Response foreign = p->Preflight("https://evil.example", "GET");
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.body, R"({"error":"CORS: origin not allowed","status":403})");
  EXPECT_EQ(foreign.cors_headers, "");
  EXPECT_TRUE(foreign.vary_origin);

  const http::Response method = p->Preflight("https://a.example", "HEAD");
  EXPECT_EQ(method.status, 403);
  EXPECT_EQ(method.body, R"({"error":"CORS: method not allowed","status":403})");
  EXPECT_EQ(method.cors_headers, "");
  EXPECT_EQ(p->Preflight("https://a.example", "get").status, 403);  // methods are exact
}

TEST(CorsPolicyTest, DuplicateOriginsCollapse) {
  CorsOptions o;
  o.origins = {"https://a.example", "https://a.example"};
  const auto p = CorsPolicy::Compile(o);
  EXPECT_NE(p->ForRequest("https://a.example").lines, "");
}

TEST(CorsHeaderNameTest, Tokens) {
  EXPECT_TRUE(IsHeaderName("X-Api-Key"));
  EXPECT_TRUE(IsHeaderName("content-type"));
  EXPECT_FALSE(IsHeaderName(""));
  EXPECT_FALSE(IsHeaderName("X Api"));
  EXPECT_FALSE(IsHeaderName("X:Api"));
  EXPECT_FALSE(IsHeaderName("X-Ä"));
}

}  // namespace
}  // namespace shoal::api
