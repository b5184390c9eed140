// Router: request matching, the canonical key, and MatchKey; see router.h. Building the table
// from the config is in router_build.cc, parameter checks in param_check.cc.
//
// Matching works on the request's bytes in place: percent-decoding happens on the fly while
// comparing literals, parsing ints and writing the key, so a match allocates the key string
// and nothing else (plus the bound values when asked). Per-parameter state lives in arrays
// of kMaxParams on the stack.
#include "api/router.h"

#include <array>
#include <utility>
#include <variant>

#include "api/percent_encoding.h"
#include "api/router_internal.h"
#include "base/glob.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

using Compiled = Router::Compiled;

// ShapeMatches reports whether `path` has the endpoint's segments, literals equal after
// decoding and parameter segments non-empty.
bool ShapeMatches(const Compiled& e, std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  SegmentIterator it(path);
  std::string_view seg;
  size_t n = 0;
  while (it.Next(&seg)) {
    if (n == e.segments.size()) return false;
    const Compiled::Segment& want = e.segments[n++];
    if (want.param ? seg.empty() : !DecodedEquals(seg, want.literal)) return false;
  }
  return n == e.segments.size();
}

// BindPage appends a paged endpoint's marker value: for kBindAfter the cursor's value (its
// signature checked; page.start when there is none), for kBindLimit the limit plus one.
Status BindPage(const Compiled& e, std::string_view cursor, int64_t limit, size_t binding,
                std::vector<store::Value>* values) {
  const PageInfo& page = *e.info.page;
  if (binding == Compiled::kBindLimit) {
    values->emplace_back(limit + 1);  // limit <= page.max < max_rows: no overflow
    return Status::Ok();
  }
  CursorValue after = page.start;
  if (!cursor.empty()) {
    Result<CursorValue> v = DecodeCursor(*page.key, e.info.route, Decode(cursor));
    if (!v.ok()) return v.status();
    after = std::move(v).value();
    // Signed by this endpoint, but its type may have changed with a reload: not this page's.
    if ((page.type == ParamType::kInt) != std::holds_alternative<int64_t>(after)) {
      return Status::InvalidArgument("parameter 'cursor' is not a valid cursor for this endpoint");
    }
  }
  if (const auto* i = std::get_if<int64_t>(&after)) {
    values->emplace_back(*i);
  } else {
    values->emplace_back(std::get<std::string>(std::move(after)));
  }
  return Status::Ok();
}

}  // namespace

bool IsIgnored(const Compiled& e, std::string_view name) {
  for (const std::string& pattern : e.ignored) {
    if (GlobMatchWith(pattern, name, NextByte)) return true;
  }
  return false;
}

Router::Router(std::vector<std::unique_ptr<const Compiled>> endpoints)
    : endpoints_(std::move(endpoints)) {}

Router::~Router() = default;

const EndpointInfo& Router::endpoint(size_t i) const { return endpoints_[i]->info; }

std::optional<size_t> Router::FindRoute(std::string_view path) const {
  std::optional<size_t> best;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!ShapeMatches(*endpoints_[i], path)) continue;
    if (!best || endpoints_[i]->literal_mask > endpoints_[*best]->literal_mask) best = i;
  }
  return best;
}

std::optional<size_t> Router::EndpointOfKey(std::string_view key) const {
  return FindRoute(key.substr(0, key.find('?')));
}

Result<RouteMatch> Router::Match(std::string_view path, std::string_view query, bool bind) const {
  const std::optional<size_t> found = FindRoute(path);
  if (!found) return Status::NotFound("no route for this path");
  RouteMatch m;
  m.endpoint = *found;
  if (Status s = Build(*found, path, query, &m.key, bind ? &m.values : nullptr,
                       bind ? &m.page_limit : nullptr);
      !s.ok()) {
    return s;
  }
  return m;
}

Status Router::KeyFor(size_t endpoint, std::string_view path, std::string_view query,
                      std::string* key, const Claims* claims) const {
  return Build(endpoint, path, query, key, nullptr, nullptr, /*from_request=*/true, claims);
}

Status Router::CheckClaims(size_t endpoint, const Claims* claims) const {
  const Compiled& e = *endpoints_[endpoint];
  for (const Compiled::Param& p : e.params) {
    if (p.claim.empty()) continue;
    const Claim* c = FindClaim(claims, p.claim);
    if (c == nullptr) {
      return Status::InvalidArgument("the token has no claim " + Quoted(p.claim) +
                                     " (a string or an integer), which this endpoint needs");
    }
    int64_t ignored = 0;
    if (Status s = CheckValue(p, c->value, &ignored); !s.ok()) {
      return Status::InvalidArgument("the token's claim " + Quoted(p.claim) +
                                     " does not fit: " + std::string(s.message()));
    }
  }
  return Status::Ok();
}

Status Router::Build(size_t endpoint, std::string_view path, std::string_view query,
                     std::string* key_out, std::vector<store::Value>* values, int64_t* page_limit,
                     bool from_request, const Claims* claims) const {
  const Compiled& e = *endpoints_[endpoint];
  const size_t n = e.params.size();

  // The raw (still encoded) value of each parameter, from the path or the query string.
  std::array<std::string_view, kMaxParams> raw{};
  std::array<bool, kMaxParams> given{};
  {
    SegmentIterator it(path);
    std::string_view seg;
    for (const Compiled::Segment& s : e.segments) {
      it.Next(&seg);
      if (s.param) {
        raw[s.index] = seg;
        given[s.index] = true;
      }
    }
  }
  std::string unknown;  // names of unknown query parameters, for the error message
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    size_t i = 0;
    while (i < n && (e.params[i].in_path || !DecodedEquals(name, e.params[i].name))) ++i;
    if (i == n) {
      if (IsIgnored(e, name)) continue;  // a tracking parameter: neither checked nor keyed
      unknown += (unknown.empty() ? "" : ", ") + Quoted(name);
      continue;
    }
    if (from_request && !e.params[i].claim.empty()) {
      return Status::InvalidArgument("parameter " + Quoted(e.params[i].name) +
                                     " comes from the caller's token; it cannot be given");
    }
    if (given[i]) {
      return Status::InvalidArgument("parameter " + Quoted(e.params[i].name) +
                                     " is given more than once");
    }
    raw[i] = value;
    given[i] = true;
  }
  if (!unknown.empty()) {
    std::string known;
    for (size_t i : e.query_params_sorted) known += (known.empty() ? "" : ", ") + e.params[i].name;
    return Status::InvalidArgument("unknown query parameter " + unknown + " (this route takes " +
                                   (known.empty() ? std::string("none") : known) + ")");
  }

  if (from_request && e.info.binds_claims) {
    for (size_t i = 0; i < n; ++i) {
      if (e.params[i].claim.empty()) continue;
      const Claim* c = FindClaim(claims, e.params[i].claim);
      if (c == nullptr) {
        return Status::InvalidArgument("the token has no claim " + Quoted(e.params[i].claim));
      }
      raw[i] = c->value;
      given[i] = true;
    }
  }

  std::array<int64_t, kMaxParams> ints{};
  size_t key_size = e.info.route.size() + 2;
  for (size_t i = 0; i < n; ++i) {
    const Compiled::Param& p = e.params[i];
    if (!given[i]) {
      if (!p.default_value) {
        return Status::InvalidArgument("missing required parameter " + Quoted(p.name));
      }
      raw[i] = *p.default_value;
    }
    if (Status s = CheckValue(p, raw[i], &ints[i]); !s.ok()) return s;
    key_size += p.name.size() + 2 + (p.type == ParamType::kInt ? 20 : 3 * raw[i].size());
  }

  std::string& key = *key_out;
  key.clear();
  key.reserve(key_size);  // no allocation when a reused string is large enough already
  const auto append_value = [&](size_t i) {
    if (e.params[i].type == ParamType::kInt) {
      AppendInt(key, ints[i]);
    } else {
      AppendCanonical(key, raw[i]);
    }
  };
  for (const Compiled::Segment& s : e.segments) {
    key.push_back('/');
    if (s.param) {
      append_value(s.index);
    } else {
      key.append(s.literal);
    }
  }
  char separator = '?';
  for (size_t i : e.query_params_sorted) {
    key.push_back(separator);
    separator = '&';
    key.append(e.params[i].name);
    key.push_back('=');
    append_value(i);
  }

  if (values != nullptr) {
    values->clear();
    values->reserve(e.bindings.size());
    for (size_t i : e.bindings) {
      if (i == Compiled::kBindAfter || i == Compiled::kBindLimit) {
        if (Status s = BindPage(e, raw[e.cursor_param], ints[e.limit_param], i, values); !s.ok()) {
          return s;
        }
        continue;
      }
      if (e.params[i].type == ParamType::kInt) {
        values->emplace_back(ints[i]);
      } else {
        values->emplace_back(Decode(raw[i]));
      }
    }
    if (page_limit != nullptr && e.info.page) *page_limit = ints[e.limit_param];
  }
  return Status::Ok();
}

Result<RouteMatch> Router::MatchKey(std::string_view key) const {
  const size_t q = key.find('?');
  const std::string_view path = key.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : key.substr(q + 1);
  Result<RouteMatch> m = Match(path, query, /*bind=*/true);
  if (m.ok() && m->key != key) {
    return Status::InvalidArgument("not a canonical key: " + std::string(key));
  }
  return m;
}

}  // namespace shoal::api
