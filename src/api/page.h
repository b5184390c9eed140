// Keyset pagination of a `result: many` endpoint (EndpointOptions::page).
//
// A paged endpoint takes two more query parameters, `limit` (an int, 1 to page.max, default
// page.size) and `cursor` (opaque, cursor.h; absent on the first page), and both are part of
// the canonical key (router.h), so every page is cached under its own key. Its query carries
// the paging itself, written by the operator with two markers that shoal binds: `:after`
// (the cursor's value, or page.start on the first page) and `:limit` (the limit plus one).
// Shoal does not rewrite the query: appending a condition, an ORDER BY and a LIMIT to any SQL
// an operator may write (a WHERE or not, an ORDER BY of its own, a GROUP BY, a UNION) is
// fragile, and CQL has no subquery to wrap it in; the markers say exactly where the paging
// goes, in SQL and CQL alike, and Build checks that both are there.
//
// A load (store_loader.h) reads at most limit + 1 rows. CutPage checks that the rows are
// strictly ordered by `by` (so `by` is unique and the query sorts by it; else the operator's
// query is wrong and the load fails with Internal), keeps the first `limit`, and when the
// extra row came makes the header line
//   Link: <TARGET>; rel="next"\r\n
// where TARGET is the next page's canonical key: this page's key with the cursor of its last
// row. The line is kept in the entry (cache::Entry::headers) and sent with every answer from
// it, hits included; a short page (no extra row) is the last and has no Link.
//
// Thread-safety: PageInfo is immutable once built; the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/cursor.h"
#include "api/endpoint.h"
#include "base/status.h"
#include "store/store.h"

namespace shoal::api {

// The request parameters and query markers of a paged endpoint.
inline constexpr std::string_view kLimitParam = "limit";
inline constexpr std::string_view kCursorParam = "cursor";
inline constexpr std::string_view kAfterMarker = "after";

// PageInfo is a paged endpoint's compiled page options.
struct PageInfo {
  std::string by;
  size_t by_column = 0;  // index of `by` in the query's result columns
  ParamType type = ParamType::kInt;
  bool descending = false;
  int64_t size = 0;
  int64_t max = 0;
  CursorValue start;                     // bound as :after on the first page
  std::shared_ptr<const CursorKey> key;  // signs and checks this endpoint's cursors
};

// CompilePage checks `page` against the endpoint's result columns, result shape and row cap
// (`max_rows`, the endpoint's or the global one) and builds its PageInfo. Errors are the
// message only (the caller adds file:line and the endpoint). `secret` is
// ApiOptions::cursor_secret (empty: CursorKey::ProcessRandom).
Result<PageInfo> CompilePage(const PageOptions& page, ResultShape result,
                             const std::vector<std::string>& columns, size_t max_rows,
                             std::string_view secret);

// PageCut is what CutPage decided: how many rows to render, and the Link line (empty on the
// last page).
struct PageCut {
  size_t rows = 0;
  std::string link;
};

// CutPage checks and cuts `rows`, the answer of a load of `key` (a canonical key of the
// endpoint at `route`) that asked for `limit` rows (and read up to limit + 1). Internal when
// the rows are not strictly ordered by `by`, or a `by` value is not of the page's type (or a
// string too long for a cursor): the operator's query or schema is wrong.
Result<PageCut> CutPage(const PageInfo& page, std::string_view route, std::string_view key,
                        const store::Rows& rows, int64_t limit);

// NextTarget returns `key` with its cursor parameter's value replaced by `cursor` (base64url:
// no percent-encoding needed). REQUIRES: key is canonical and has a cursor parameter.
std::string NextTarget(std::string_view key, std::string_view cursor);

}  // namespace shoal::api
