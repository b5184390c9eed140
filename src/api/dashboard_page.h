// DashboardPage: GET /_shoal/, the operator's live page in a browser.
//
// The page is src/api/dashboard.html: one self-contained HTML document (its own style and
// script inline; no CDN, no fonts, no build step) that polls /_shoal/stats every second and
// draws requests/s, hit ratio and p50/p99 latency over the last five minutes, the endpoint
// table, the cluster members and the Cassandra nodes. CMake embeds the file into the binary
// at build time: embed_text.cmake writes it as a raw string literal into the generated
// dashboard_html.cc (in the build tree), again whenever the page changes.
//
// It is served with Content-Type text/html; charset=utf-8 and a strict
// Content-Security-Policy: default-src 'self' (the page fetches only /_shoal/stats), the
// page's one inline script and one inline style allowed by their SHA-256 hashes (computed
// here, once, from the embedded page, so an edit of the page needs no other change; never
// 'unsafe-inline'), data: images for its favicon only, no framing, no forms, no base URL.
// Api serves it when it serves /_shoal/metrics, AdminHandler on the admin listener otherwise;
// both allow GET and HEAD only.
//
// Thread-safety: thread-safe (the response parts are built once, on first use).
#pragma once

#include <string>
#include <string_view>

#include "http/handler.h"

namespace shoal::api {

inline constexpr std::string_view kDashboardPath = "/_shoal/";

// DashboardResponse returns the page's 200 response; every call shares one body.
http::Response DashboardResponse();

// DashboardHtml returns the page as embedded in the binary.
std::string_view DashboardHtml();

// ContentSecurityPolicy returns the policy header value for `html`: default-src 'self', and
// script-src and style-src naming the SHA-256 hash of each inline <script> and <style>
// element of `html` (their text between the tags, as the browser hashes it). An element with
// attributes (<script src=...>) is not inline and adds nothing.
std::string ContentSecurityPolicy(std::string_view html);

}  // namespace shoal::api
