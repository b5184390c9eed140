// Tests of the dashboard page's response: the embedded page is the source file, and the
// Content-Security-Policy allows exactly its inline script and style. The page itself runs in
// headless Chromium in tests/dashboard_test.py.
#include "api/dashboard_page.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace shoal::api {
namespace {

size_t Count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// The hashes: base64 of SHA-256 of the element's text, as computed by Python's hashlib.
TEST(DashboardPageTest, PolicyNamesTheHashOfEachInlineScriptAndStyle) {
  EXPECT_EQ(ContentSecurityPolicy("<style>a{}</style><p>x</p><script>x()</script>"
                                  "<script src=\"ignored.js\"></script><script>y()</script>"),
            "default-src 'self'; "
            "script-src 'sha256-D6IGS8VMvCoyaR/l0h9tERrBTATY01CoPS7l6xDv0kI=' "
            "'sha256-nwG+cZ8J4yZ7RZ4RWxVDwCwkMn9GJelY2VgKXNi2Uvk='; "
            "style-src 'sha256-X1RutGBrXCt9KkSaXMK7tHftWiRscFHOhxsS8tv8hBk='; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

TEST(DashboardPageTest, NoInlineElementsAllowNoInlineCode) {
  EXPECT_EQ(ContentSecurityPolicy("<p>no code</p><script>unclosed"),
            "default-src 'self'; script-src; style-src; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'");
}

TEST(DashboardPageTest, TheBinaryCarriesTheSourceFile) {
  std::ifstream in(std::string(SHOAL_SOURCE_DIR) + "/src/api/dashboard.html", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read src/api/dashboard.html";
  std::ostringstream file;
  file << in.rdbuf();
  EXPECT_EQ(DashboardHtml(), file.str());
}

TEST(DashboardPageTest, ResponseIsTheHtmlPageWithItsPolicy) {
  const http::Response r = DashboardResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, DashboardHtml());
  EXPECT_EQ(r.body.substr(0, 15), "<!doctype html>");
  // One inline script and one inline style, each allowed by one hash; nothing else inline.
  EXPECT_EQ(Count(r.body, "<script"), 1u);
  EXPECT_EQ(Count(r.body, "<style"), 1u);
  const std::string csp = ContentSecurityPolicy(r.body);
  EXPECT_EQ(Count(csp, "'sha256-"), 2u);
  EXPECT_EQ(Count(csp, "unsafe"), 0u);
  EXPECT_NE(r.extra_headers.find("Content-Security-Policy: " + csp + "\r\n"), std::string::npos);
  EXPECT_NE(r.extra_headers.find("Cache-Control: no-cache\r\n"), std::string::npos);
  // Every call shares the one body.
  EXPECT_EQ(DashboardResponse().body.data(), r.body.data());
}

}  // namespace
}  // namespace shoal::api
