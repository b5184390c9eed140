// DiffEndpoints: see router_diff.h.
#include "api/router_diff.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "api/router_internal.h"

namespace shoal::api {
namespace {

using Compiled = Router::Compiled;

bool SameParam(const Compiled::Param& a, const Compiled::Param& b) {
  return a.name == b.name && a.type == b.type && a.in_path == b.in_path &&
         a.default_value == b.default_value && a.min == b.min && a.max == b.max;
}

// SamePage: the page options that shape answers and their Links (size and max are params),
// and the cursor key (a changed key makes every cached Link a 400).
bool SamePage(const std::optional<PageInfo>& a, const std::optional<PageInfo>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return a->by == b->by && a->type == b->type && a->descending == b->descending &&
         a->start == b->start && a->key->bytes == b->key->bytes;
}

// AnswerChange names what, of the things that shape an endpoint's answers, differs; empty when
// nothing does.
std::string AnswerChange(const Compiled& a, const Compiled& b) {
  std::string what;
  auto add = [&what](std::string_view w) {
    if (!what.empty()) what += ", ";
    what += w;
  };
  if (a.info.query != b.info.query) add("query");
  if (a.info.result != b.info.result) add("result");
  if (a.info.columns != b.info.columns) add("columns");
  if (a.info.json_column != b.info.json_column) add("json columns");
  if (!SamePage(a.info.page, b.info.page)) add("page");
  // Entries carry the tags they were made with: kept ones could escape a purge of a new tag.
  if (!std::equal(a.info.tags.begin(), a.info.tags.end(), b.info.tags.begin(), b.info.tags.end(),
                  [](const TagTemplate& x, const TagTemplate& y) { return x.text == y.text; })) {
    add("tags");
  }
  // Entries kept before `cache: false` would still be found by a load's recheck and a peer.
  if (a.info.cache && !b.info.cache) add("cache: false");
  if (a.params.size() != b.params.size() ||
      !std::equal(a.params.begin(), a.params.end(), b.params.begin(), SameParam)) {
    add("params");
  }
  return what;
}

// MayShareKeys reports whether some path could match both routes by shape (same number of
// segments, and no place where both have different literals).
bool MayShareKeys(const Compiled& a, const Compiled& b) {
  if (a.segments.size() != b.segments.size()) return false;
  for (size_t i = 0; i < a.segments.size(); ++i) {
    const Compiled::Segment& x = a.segments[i];
    const Compiled::Segment& y = b.segments[i];
    if (!x.param && !y.param && x.literal != y.literal) return false;
  }
  return true;
}

std::string Seconds(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<size_t> FindRoute(const Router& r, const std::string& route) {
  for (size_t i = 0; i < r.endpoint_count(); ++i) {
    if (r.endpoint(i).route == route) return i;
  }
  return std::nullopt;
}

}  // namespace

EndpointDiff DiffEndpoints(const Router& before, const Router& after) {
  EndpointDiff d;
  std::vector<size_t> added;        // indexes into `after`
  std::vector<size_t> kept_as_was;  // indexes into `before` whose entries stay (so far)
  for (size_t i = 0; i < before.endpoint_count(); ++i) {
    const EndpointInfo& old_info = before.endpoint(i);
    const std::optional<size_t> j = FindRoute(after, old_info.route);
    if (!j) {
      d.changes.push_back("endpoint " + old_info.route + " removed");
      d.purge_groups.push_back(old_info.group);
      continue;
    }
    const std::string what = AnswerChange(before.compiled(i), after.compiled(*j));
    if (!what.empty()) {
      d.changes.push_back("endpoint " + old_info.route + " answer changed (" + what +
                          "): entries dropped");
      d.purge_groups.push_back(old_info.group);
      continue;
    }
    if (old_info.ttl != after.endpoint(*j).ttl) {
      d.changes.push_back("endpoint " + old_info.route + " ttl " + Seconds(old_info.ttl) + " -> " +
                          Seconds(after.endpoint(*j).ttl));
    }
    kept_as_was.push_back(i);
  }
  for (size_t j = 0; j < after.endpoint_count(); ++j) {
    if (!FindRoute(before, after.endpoint(j).route)) {
      d.changes.push_back("endpoint " + after.endpoint(j).route + " added");
      added.push_back(j);
    }
  }
  for (size_t i : kept_as_was) {
    const auto taker = std::find_if(added.begin(), added.end(), [&](size_t j) {
      return MayShareKeys(before.compiled(i), after.compiled(j));
    });
    if (taker != added.end()) {
      d.changes.push_back("endpoint " + before.endpoint(i).route +
                          " entries dropped: the added route " + after.endpoint(*taker).route +
                          " may take its keys");
      d.purge_groups.push_back(before.endpoint(i).group);
    } else {
      ++d.kept;
    }
  }
  std::sort(d.purge_groups.begin(), d.purge_groups.end());
  d.purge_groups.erase(std::unique(d.purge_groups.begin(), d.purge_groups.end()),
                       d.purge_groups.end());
  return d;
}

}  // namespace shoal::api
