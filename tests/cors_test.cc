// Process tests of CORS (issue 17, item 7): the real shoal over the demo catalog, with a
// top-level cors section (two origins, credentials, one allowed request header), the
// categories endpoint's own section (origins ["*"]) and the reviews endpoint's cors: false.
// What they prove, on the wire: an allowed Origin is echoed exactly, with
// Access-Control-Allow-Credentials and Expose-Headers, on misses, hits, HEAD and errors; a
// refused or absent Origin gets the same answer without CORS headers; every answer of a CORS
// route has one Vary line naming Accept-Encoding and Origin; "*" sends Allow-Origin: * and no
// Vary: Origin; a preflight is 204 with the policy's headers (and loads nothing into the cache),
// 403 with a JSON body from a foreign origin or for another method; an endpoint's own section
// replaces the top-level one; a reload that changes the origins applies at once; a bad origin
// in the config is refused with FILE:LINE.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_suite.h"
#include "http_client.h"

namespace shoal::testing {
namespace {

constexpr std::string_view kToken = "a-cors-admin-token-of-some-length";
constexpr std::string_view kApp = "https://app.example.com";
constexpr std::string_view kLocal = "http://127.0.0.1:8080";
constexpr std::string_view kEvil = "https://evil.example";

// VaryLines is every Vary header line of `r`, in order.
std::vector<std::string> VaryLines(const HttpResponse& r) {
  std::vector<std::string> out;
  for (const auto& [name, value] : r.headers) {
    if (name.size() == 4 && (name[0] == 'V' || name[0] == 'v') &&
        (name.substr(1) == "ary" || name.substr(1) == "ARY")) {
      out.push_back(value);
    }
  }
  return out;
}

class CorsProcessTest : public CatalogSuite<50> {
 protected:
  // Config is the example config with the CORS sections; `origins` is the top-level list.
  static std::string Config(std::string_view origins) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = base.ok() ? *base : "";
    Replace(&text, "    ttl: 10s", "    ttl: 10s\n    cors:\n      origins: [\"*\"]");
    Replace(&text, "    ttl: 30s", "    ttl: 30s\n    cors: false");
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += "admin:\n  token: " + std::string(kToken) + "\n";
    text += "cors:\n  origins: [" + std::string(origins) +
            "]\n  credentials: true\n  headers: [X-Api-Version]\n  max_age: 2m\n";
    return text;
  }

  static void Replace(std::string* text, std::string_view from, const std::string& to) {
    const size_t at = text->find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text->replace(at, from.size(), to);
  }

  std::unique_ptr<ShoalProcess> Start(std::string_view origins) {
    file_ = dir_->Write("cors-" + std::to_string(++configs_) + ".yaml", Config(origins));
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  static HttpResponse Ask(uint16_t port, std::string_view method, std::string_view target,
                          std::string_view headers) {
    Result<HttpClient> c = HttpClient::Connect(port);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Request(method, target, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }

  static std::string Origin(std::string_view origin) {
    return "Origin: " + std::string(origin) + "\r\n";
  }

  std::string file_;
  inline static int configs_ = 0;
};

TEST_F(CorsProcessTest, AllowedRefusedAndAbsentOrigins) {
  auto node = Start("\"" + std::string(kApp) + "\", \"" + std::string(kLocal) + "\"");
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  for (const char* want_cache : {"MISS", "HIT"}) {
    const HttpResponse r = Ask(port, "GET", "/v1/items/1", Origin(kApp));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("X-Cache"), want_cache);
    EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), kApp);
    EXPECT_EQ(r.Header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(r.Header("Access-Control-Expose-Headers"), "ETag, Age, Cache-Status, X-Cache, Link");
    EXPECT_EQ(VaryLines(r), std::vector<std::string>{"Accept-Encoding, Origin"});
  }
  const HttpResponse local = Ask(port, "GET", "/v1/items/1", Origin(kLocal));
  EXPECT_EQ(local.Header("Access-Control-Allow-Origin"), kLocal);
  const HttpResponse head = Ask(port, "HEAD", "/v1/items/1", Origin(kApp));
  EXPECT_EQ(head.Header("Access-Control-Allow-Origin"), kApp);
  // An error of the route carries them too, so the page can read it.
  const HttpResponse bad = Ask(port, "GET", "/v1/items/x", Origin(kApp));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Header("Access-Control-Allow-Origin"), kApp);

  // Refused, absent, or not quite the same text: the normal answer, no CORS headers, and still
  // Vary: Origin so that no cache mixes them up.
  const HttpResponse allowed = Ask(port, "GET", "/v1/items/1", Origin(kApp));
  for (const std::string& headers :
       {Origin(kEvil), std::string(), Origin("https://APP.example.com"),
        Origin("https://app.example.com:443"), Origin("null")}) {
    const HttpResponse r = Ask(port, "GET", "/v1/items/1", headers);
    EXPECT_EQ(r.status, 200) << headers;
    EXPECT_EQ(r.body, allowed.body) << headers;
    EXPECT_FALSE(r.HasHeader("Access-Control-Allow-Origin")) << headers;
    EXPECT_FALSE(r.HasHeader("Access-Control-Allow-Credentials")) << headers;
    EXPECT_EQ(VaryLines(r), std::vector<std::string>{"Accept-Encoding, Origin"}) << headers;
  }
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(CorsProcessTest, AnEndpointsOwnSectionReplacesTheTopLevelOne) {
  auto node = Start("\"" + std::string(kApp) + "\"");
  ASSERT_NE(node, nullptr);
  // categories: origins ["*"]: the same answer for every Origin (none too), no credentials,
  // no Vary: Origin.
  for (const std::string& headers : {Origin(kEvil), Origin(kApp), std::string()}) {
    const HttpResponse r = Ask(node->port(), "GET", "/v1/categories/tools/items", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*") << headers;
    EXPECT_FALSE(r.HasHeader("Access-Control-Allow-Credentials"));
    EXPECT_EQ(VaryLines(r), std::vector<std::string>{"Accept-Encoding"}) << headers;
  }
  // reviews: cors: false: no CORS at all; OPTIONS is a 405 as before.
  const HttpResponse r = Ask(node->port(), "GET", "/v1/items/1/reviews", Origin(kApp));
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.HasHeader("Access-Control-Allow-Origin"));
  EXPECT_EQ(VaryLines(r), std::vector<std::string>{"Accept-Encoding"});
  const HttpResponse pre = Ask(node->port(), "OPTIONS", "/v1/items/1/reviews",
                               Origin(kApp) + "Access-Control-Request-Method: GET\r\n");
  EXPECT_EQ(pre.status, 405);
  EXPECT_EQ(pre.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(CorsProcessTest, PreflightsAreAnsweredFromTheConfig) {
  auto node = Start("\"" + std::string(kApp) + "\"");
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  const HttpResponse ok = Ask(port, "OPTIONS", "/v1/items/7",
                              Origin(kApp) +
                                  "Access-Control-Request-Method: GET\r\n"
                                  "Access-Control-Request-Headers: x-api-version\r\n");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.body, "");
  EXPECT_FALSE(ok.HasHeader("Content-Type"));
  EXPECT_EQ(ok.Header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(ok.Header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(ok.Header("Access-Control-Allow-Methods"), "GET, HEAD");
  EXPECT_EQ(ok.Header("Access-Control-Allow-Headers"), "X-Api-Version");
  EXPECT_EQ(ok.Header("Access-Control-Max-Age"), "120");
  EXPECT_EQ(VaryLines(ok), std::vector<std::string>{"Origin"});
  // The preflight did not touch the cache: the first GET of the key is still a miss.
  EXPECT_EQ(Ask(port, "GET", "/v1/items/7", Origin(kApp)).Header("X-Cache"), "MISS");

  const HttpResponse foreign =
      Ask(port, "OPTIONS", "/v1/items/7", Origin(kEvil) + "Access-Control-Request-Method: GET\r\n");
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.Header("Content-Type"), "application/json");
  EXPECT_EQ(foreign.body, R"({"error":"CORS: origin not allowed","status":403})");
  EXPECT_FALSE(foreign.HasHeader("Access-Control-Allow-Origin"));

  const HttpResponse method = Ask(port, "OPTIONS", "/v1/items/7",
                                  Origin(kApp) + "Access-Control-Request-Method: DELETE\r\n");
  EXPECT_EQ(method.status, 403);
  EXPECT_EQ(method.body, R"({"error":"CORS: method not allowed","status":403})");

  // OPTIONS without the preflight headers, and on no route: as without CORS.
  EXPECT_EQ(Ask(port, "OPTIONS", "/v1/items/7", Origin(kApp)).status, 405);
  EXPECT_EQ(
      Ask(port, "OPTIONS", "/v1/nothing", Origin(kApp) + "Access-Control-Request-Method: GET\r\n")
          .status,
      404);
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(CorsProcessTest, AReloadChangesTheOrigins) {
  auto node = Start("\"" + std::string(kApp) + "\"");
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  EXPECT_EQ(Ask(port, "GET", "/v1/items/2", Origin(kApp)).Header("Access-Control-Allow-Origin"),
            kApp);
  EXPECT_FALSE(
      Ask(port, "GET", "/v1/items/2", Origin(kLocal)).HasHeader("Access-Control-Allow-Origin"));

  dir_->Write(file_.substr(dir_->path().size() + 1), Config("\"" + std::string(kLocal) + "\""));
  const HttpResponse reload =
      Ask(port, "POST", "/_shoal/reload",
          "Authorization: Bearer " + std::string(kToken) + "\r\nContent-Length: 0\r\n");
  EXPECT_EQ(reload.status, 200) << reload.body;
  EXPECT_NE(reload.body.find("cors.origins"), std::string::npos) << reload.body;

  const HttpResponse now = Ask(port, "GET", "/v1/items/2", Origin(kLocal));
  EXPECT_EQ(now.Header("Access-Control-Allow-Origin"), kLocal);
  EXPECT_EQ(now.Header("X-Cache"), "HIT");  // the entry stayed: CORS is not part of it
  EXPECT_FALSE(
      Ask(port, "GET", "/v1/items/2", Origin(kApp)).HasHeader("Access-Control-Allow-Origin"));
  EXPECT_EQ(
      Ask(port, "OPTIONS", "/v1/items/2", Origin(kApp) + "Access-Control-Request-Method: GET\r\n")
          .status,
      403);
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(CorsProcessTest, BadOriginsAreConfigErrorsWithFileAndLine) {
  struct Case {
    std::string origins;
    std::string says;
  };
  for (const Case& c :
       {Case{"\"https://app.example.com/\"", "is not an origin: an origin has no path"},
        Case{"\"*\"", "cors.origins: \"*\" is not allowed with credentials: true"}}) {
    const std::string text = Config(c.origins);
    const std::string file = dir_->Write("bad-cors.yaml", text);
    // Both name the line of the top-level origins (the origin's own line; the section's
    // first key for "*").
    const size_t at = text.find("\ncors:\n  origins: [");
    ASSERT_NE(at, std::string::npos);
    int line = 3;  // the line after "\n" is "cors:", the next "  origins"
    for (size_t i = 0; i < at; ++i) line += text[i] == '\n' ? 1 : 0;
    const RunResult r = RunShoal({"check-config", "-c", file});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string where = file + ":" + std::to_string(line) + ": cors.origins: ";
    EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shoal::testing
