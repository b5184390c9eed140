// Keyset pagination: the page options checked, a page's rows cut and its Link; see page.h.
#include "api/page.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <variant>

#include "base/numbers.h"

namespace shoal::api {
namespace {

// ByValue reads row `row`'s `by` cell as the page's type; nullopt when it is not one.
std::optional<CursorValue> ByValue(const PageInfo& page, const store::Row& row) {
  if (page.by_column >= row.size()) return std::nullopt;
  const store::Value& v = row[page.by_column];
  if (page.type == ParamType::kInt) {
    if (const auto* i = std::get_if<int64_t>(&v)) return CursorValue(*i);
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->size() > kMaxCursorValue) return std::nullopt;
    return CursorValue(*s);
  }
  return std::nullopt;
}

}  // namespace

Result<PageInfo> CompilePage(const PageOptions& page, ResultShape result,
                             const std::vector<std::string>& columns, size_t max_rows,
                             std::string_view secret) {
  if (result != ResultShape::kMany) {
    return Status::InvalidArgument("page: only an endpoint of result: many can be paged");
  }
  PageInfo p;
  p.by = page.by;
  p.type = page.type;
  p.descending = page.descending;
  p.size = page.size;
  p.max = page.max;
  const auto it = std::find(columns.begin(), columns.end(), page.by);
  if (it == columns.end()) {
    std::string have;
    for (const auto& col : columns) have += (have.empty() ? "" : ", ") + col;
    return Status::InvalidArgument("page.by: '" + page.by +
                                   "' is not a result column of the query (" + have + ")");
  }
  p.by_column = static_cast<size_t>(it - columns.begin());
  if (page.size < 1) return Status::InvalidArgument("page.size: must be at least 1");
  if (page.max < page.size) {
    return Status::InvalidArgument("page.size: " + std::to_string(page.size) +
                                   " is above page.max (" + std::to_string(page.max) + ")");
  }
  // A load reads max + 1 rows; the store fails a query past max_rows.
  if (static_cast<uint64_t>(page.max) >= max_rows) {
    return Status::InvalidArgument("page.max: " + std::to_string(page.max) +
                                   " must be below max_rows (" + std::to_string(max_rows) +
                                   "): a page reads one row more than it sends");
  }
  if (page.type == ParamType::kInt) {
    if (page.start) {
      const std::optional<int64_t> v = ParseInt64(*page.start);
      if (!v) return Status::InvalidArgument("page.start: expected an integer (int64)");
      p.start = *v;
    } else {
      p.start = page.descending ? std::numeric_limits<int64_t>::max()
                                : std::numeric_limits<int64_t>::min();
    }
  } else if (page.start) {
    p.start = *page.start;
  } else if (page.descending) {
    return Status::InvalidArgument(
        "page.start: a string `by` in descending order needs the value the first page starts "
        "below (no string is greater than every other)");
  } else {
    p.start = std::string();
  }
  p.key = std::make_shared<const CursorKey>(secret.empty() ? CursorKey::ProcessRandom()
                                                           : CursorKey::Derive(secret));
  return p;
}

Result<PageCut> CutPage(const PageInfo& page, std::string_view route, std::string_view key,
                        const store::Rows& rows, int64_t limit) {
  const size_t want = limit > 0 ? static_cast<size_t>(limit) : 0;
  const size_t n = rows.rows.size();
  std::optional<CursorValue> previous;
  std::optional<CursorValue> last_sent;
  for (size_t i = 0; i < n && i <= want; ++i) {
    std::optional<CursorValue> v = ByValue(page, rows.rows[i]);
    if (!v) {
      return Status::Internal("page.by column '" + page.by + "' holds a value that is not " +
                              (page.type == ParamType::kInt ? "an integer" : "a string") +
                              " of at most 256 bytes");
    }
    if (previous && !(page.descending ? *v < *previous : *previous < *v)) {
      return Status::Internal("the rows are not strictly " +
                              std::string(page.descending ? "decreasing" : "increasing") +
                              " in page.by column '" + page.by +
                              "' (the query must sort by it, and it must be unique)");
    }
    if (i + 1 == want) last_sent = *v;
    previous = std::move(v);
  }
  PageCut cut;
  cut.rows = std::min(n, want);
  if (n > want && last_sent) {
    cut.link = "Link: <" + NextTarget(key, EncodeCursor(*page.key, route, *last_sent)) +
               ">; rel=\"next\"\r\n";
  }
  return cut;
}

std::string NextTarget(std::string_view key, std::string_view cursor) {
  const size_t q = key.find('?');
  std::string out(key.substr(0, q == std::string_view::npos ? key.size() : q + 1));
  if (q == std::string_view::npos) return out;
  std::string_view rest = key.substr(q + 1);
  bool first = true;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (!first) out.push_back('&');
    first = false;
    const std::string_view name = pair.substr(0, pair.find('='));
    if (name == kCursorParam) {
      out.append(name).push_back('=');
      out.append(cursor);
    } else {
      out.append(pair);
    }
  }
  return out;
}

}  // namespace shoal::api
