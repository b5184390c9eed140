// DashboardPage: see dashboard_page.h.
#include "api/dashboard_page.h"

#include <cstddef>

#include <openssl/evp.h>

#include "base/base64.h"
#include "base/bytes.h"

// The page, as embed_text.cmake writes it into the generated dashboard_html.cc.
namespace shoal::api::embedded {
extern const char kDashboardHtml[];
extern const std::size_t kDashboardHtmlSize;
}  // namespace shoal::api::embedded

namespace shoal::api {
namespace {

// AppendHashes appends " 'sha256-BASE64'" for the text of each <tag>...</tag> of `html`.
void AppendHashes(std::string& out, std::string_view html, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  size_t at = 0;
  while ((at = html.find(open, at)) != std::string_view::npos) {
    const size_t start = at + open.size();
    const size_t end = html.find(close, start);
    if (end == std::string_view::npos) return;
    const std::string_view text = html.substr(start, end - start);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) == 1) {
      out += " 'sha256-";
      AppendBase64(out, std::string_view(reinterpret_cast<const char*>(digest), size));
      out += '\'';
    }
    at = end + close.size();
  }
}

struct Page {
  Bytes body;
  std::string headers;  // extra header lines, each ending in \r\n
};

const Page& ThePage() {
  static const Page kPage = [] {
    Page p;
    const std::string_view html = DashboardHtml();
    p.body = Bytes::Copy(html);
    p.headers = "Content-Security-Policy: " + ContentSecurityPolicy(html) +
                "\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "Cache-Control: no-cache\r\n";
    return p;
  }();
  return kPage;
}

}  // namespace

std::string_view DashboardHtml() {
  return {embedded::kDashboardHtml, embedded::kDashboardHtmlSize};
}

std::string ContentSecurityPolicy(std::string_view html) {
  std::string csp = "default-src 'self'; script-src";
  AppendHashes(csp, html, "script");
  csp += "; style-src";
  AppendHashes(csp, html, "style");
  csp += "; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return csp;
}

http::Response DashboardResponse() {
  const Page& page = ThePage();
  http::Response r;
  r.content_type = "text/html; charset=utf-8";
  r.SetBody(page.body);
  r.extra_headers = page.headers;
  return r;
}

}  // namespace shoal::api
