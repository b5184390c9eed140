// Router::Build: compiles ApiOptions into the endpoint table and checks the config against the
// store (routes, parameter names, types, defaults, bounds, json columns, the query itself
// through Store::Prepare). Errors are InvalidArgument naming file:line. See router.h.
#include <algorithm>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "api/auth.h"
#include "api/endpoint_group.h"
#include "api/percent_encoding.h"
#include "api/router.h"
#include "api/router_internal.h"
#include "base/glob.h"
#include "base/interned.h"
#include "base/logger.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

using Compiled = Router::Compiled;

bool IsIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// IsLiteralChar: RFC 3986 pchar without percent-encoding.
bool IsLiteralChar(char c) {
  return IsUnreserved(c) || std::string_view("!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

std::string Where(const ApiOptions& options, int line) {
  std::string out = options.config_file.empty() ? std::string("line ") : options.config_file + ":";
  out += std::to_string(line);
  return out;
}

// ClaimNames lists the claims `ep` binds as parameters, added to *names once each.
void ClaimNames(const EndpointOptions& ep, std::vector<std::string>* names) {
  for (const ParamSpec& p : ep.params) {
    if (!p.claim.empty() && std::find(names->begin(), names->end(), p.claim) == names->end()) {
      names->push_back(p.claim);
    }
  }
}

// BuildAuth builds the Authenticator of `auth` (null for Kind::kNone); errors name the
// config's line of the auth section.
Result<std::shared_ptr<const Authenticator>> BuildAuth(const ApiOptions& options,
                                                       const AuthOptions& auth,
                                                       std::vector<std::string> claims) {
  Result<std::shared_ptr<const Authenticator>> a = Authenticator::Build(auth, std::move(claims));
  if (a.ok()) return a;
  return Status::InvalidArgument(Where(options, auth.line) +
                                 ": auth: " + std::string(a.status().message()));
}

class EndpointBuilder {
 public:
  EndpointBuilder(const ApiOptions& options, const EndpointOptions& ep,
                  std::shared_ptr<const Authenticator> global_auth)
      : options_(options), ep_(ep), global_auth_(std::move(global_auth)) {}

  Result<std::unique_ptr<const Compiled>> Build(store::Store& store) {
    auto c = std::make_unique<Compiled>();
    c->info.route = ep_.route;
    c->info.interned_route = Intern(ep_.route);
    c->info.group = EndpointGroup(c->info.interned_route);
    c->info.query = ep_.query;
    c->info.result = ep_.result;
    c->info.ttl = ep_.ttl;
    c->info.cache = ep_.cache;
    c->info.line = ep_.line;
    if (ep_.ttl <= Duration::zero()) return Error(ep_.line, "ttl must be positive");
    if (Status s = ParseRoute(*c); !s.ok()) return s;
    if (Status s = AddDeclaredParams(*c); !s.ok()) return s;
    if (Status s = AddIgnoredParams(*c); !s.ok()) return s;
    if (Status s = AddPageParams(*c); !s.ok()) return s;
    if (c->params.size() > kMaxParams) {
      return Error(ep_.line, "more than " + std::to_string(kMaxParams) + " parameters");
    }
    Result<store::StatementInfo> stmt = store.Prepare(ep_.query);
    if (!stmt.ok()) {
      return Error(ep_.line, "query does not prepare: " + std::string(stmt.status().message()));
    }
    if (Status s = Bind(*c, *stmt); !s.ok()) return s;
    if (Status s = MarkJsonColumns(*c, *stmt); !s.ok()) return s;
    if (ep_.page) {
      Result<PageInfo> page =
          CompilePage(*ep_.page, ep_.result, stmt->columns,
                      ep_.max_rows.value_or(options_.max_rows), options_.cursor_secret);
      if (!page.ok()) return Error(ep_.page->line, page.status().message());
      c->info.page = std::move(page).value();
    }
    if (Status s = CompileTags(*c); !s.ok()) return s;
    c->info.statement = stmt->id;
    for (size_t i = 0; i < c->params.size(); ++i) {
      if (!c->params[i].in_path) c->query_params_sorted.push_back(i);
    }
    std::sort(c->query_params_sorted.begin(), c->query_params_sorted.end(),
              [&c](size_t a, size_t b) { return c->params[a].name < c->params[b].name; });
    if (Status s = SetAuth(*c); !s.ok()) return s;
    return std::unique_ptr<const Compiled>(std::move(c));
  }

 private:
  // SetAuth gives the endpoint its own Authenticator (its auth section) or the top level's,
  // and checks that claims are bound only under JWT.
  Status SetAuth(Compiled& c) const {
    const AuthOptions::Kind kind = ep_.auth        ? ep_.auth->kind
                                   : options_.auth ? options_.auth->kind
                                                   : AuthOptions::Kind::kNone;
    if (ep_.auth) {
      std::vector<std::string> claims;
      ClaimNames(ep_, &claims);
      Result<std::shared_ptr<const Authenticator>> a = BuildAuth(options_, *ep_.auth, claims);
      if (!a.ok()) return a.status();
      c.info.auth = std::move(a).value();
    } else {
      c.info.auth = global_auth_;
    }
    for (const Compiled::Param& p : c.params) {
      if (p.claim.empty()) continue;
      c.info.binds_claims = true;
      if (kind != AuthOptions::Kind::kJwt) {
        return Error(p.line, "parameter " + Quoted(p.name) + " comes from the claim " +
                                 Quoted(p.claim) + ": the endpoint needs auth.jwt");
      }
    }
    return Status::Ok();
  }

  Status Error(int line, std::string_view message) const {
    return Status::InvalidArgument(Where(options_, line) + ": endpoint " + Quoted(ep_.route) +
                                   ": " + std::string(message));
  }

  Status ParseRoute(Compiled& c) const {
    const std::string& route = ep_.route;
    if (route.empty() || route[0] != '/') return Error(ep_.line, "route must start with '/'");
    if (route.starts_with("/_shoal/") || route == "/_shoal") {
      return Error(ep_.line, "routes under /_shoal/ are reserved");
    }
    SegmentIterator it(route);
    std::string_view seg;
    while (it.Next(&seg)) {
      if (c.segments.size() == kMaxSegments) {
        return Error(ep_.line, "more than " + std::to_string(kMaxSegments) + " segments");
      }
      if (seg.empty()) return Error(ep_.line, "malformed route: empty segment");
      Compiled::Segment s;
      if (seg.front() == '{') {
        if (seg.back() != '}' || seg.size() < 3) {
          return Error(ep_.line, "malformed route: bad parameter segment " + Quoted(seg));
        }
        const std::string_view inner = seg.substr(1, seg.size() - 2);
        const size_t colon = inner.find(':');
        const std::string_view name = inner.substr(0, colon);
        ParamType type = ParamType::kString;
        if (colon != std::string_view::npos) {
          const std::string_view t = inner.substr(colon + 1);
          if (t == "int") {
            type = ParamType::kInt;
          } else if (t != "string") {
            return Error(ep_.line, "malformed route: unknown parameter type " + Quoted(t) +
                                       " (int or string)");
          }
        }
        if (!IsIdentifier(name)) {
          return Error(ep_.line, "malformed route: bad parameter name " + Quoted(name));
        }
        for (const auto& p : c.params) {
          if (p.name == name) return Error(ep_.line, "duplicate parameter " + Quoted(name));
        }
        s.param = true;
        s.index = c.params.size();
        Compiled::Param p;
        p.name = std::string(name);
        p.type = type;
        p.in_path = true;
        if (type == ParamType::kString) p.max = DefaultStringMax();
        p.line = ep_.line;
        c.params.push_back(std::move(p));
      } else {
        if (seg == "." || seg == "..") return Error(ep_.line, "malformed route: dot segment");
        if (!std::all_of(seg.begin(), seg.end(), IsLiteralChar)) {
          return Error(ep_.line,
                       "malformed route: character not allowed in segment " + Quoted(seg));
        }
        s.literal = std::string(seg);
        c.literal_mask |= uint32_t{1} << (kMaxSegments - 1 - c.segments.size());
      }
      c.segments.push_back(std::move(s));
    }
    return Status::Ok();
  }

  // DefaultStringMax is the max of a string parameter whose ParamSpec sets none.
  int64_t DefaultStringMax() const {
    constexpr auto kLargest = static_cast<size_t>(std::numeric_limits<int64_t>::max());
    return static_cast<int64_t>(std::min(options_.max_string_param, kLargest));
  }

  // AddDeclaredParams adds the query parameters of ep_.params. A ParamSpec with the name of a
  // route parameter ({name}) instead sets that parameter's bounds: its type must be the
  // route's and it has no default (the path always gives the value).
  Status AddDeclaredParams(Compiled& c) const {
    std::vector<bool> bounded(c.params.size(), false);  // route parameters given a ParamSpec
    for (const ParamSpec& spec : ep_.params) {
      const int line = spec.line != 0 ? spec.line : ep_.line;
      if (!IsIdentifier(spec.name)) return Error(line, "bad parameter name " + Quoted(spec.name));
      if (spec.min && spec.max && *spec.min > *spec.max) {
        return Error(line, "parameter " + Quoted(spec.name) + ": min is greater than max");
      }
      if (spec.type == ParamType::kString &&
          ((spec.min && *spec.min < 0) || (spec.max && *spec.max < 0))) {
        return Error(line, "parameter " + Quoted(spec.name) +
                               ": a string's bounds are lengths and cannot be negative");
      }
      auto same = std::find_if(c.params.begin(), c.params.end(),
                               [&spec](const Compiled::Param& p) { return p.name == spec.name; });
      if (!spec.claim.empty() && same != c.params.end() && same->in_path) {
        return Error(line, "route parameter " + Quoted(spec.name) +
                               " cannot come from a claim (the path always gives it)");
      }
      if (!spec.claim.empty() && spec.default_value) {
        return Error(line, "parameter " + Quoted(spec.name) +
                               " comes from a claim and cannot have a default (a token "
                               "without the claim is refused)");
      }
      if (same != c.params.end()) {
        const auto i = static_cast<size_t>(same - c.params.begin());
        if (!same->in_path || bounded[i]) {
          return Error(line, "duplicate parameter " + Quoted(spec.name));
        }
        if (Status s = BoundRouteParam(*same, spec, line); !s.ok()) return s;
        bounded[i] = true;
        continue;
      }
      Compiled::Param p;
      p.name = spec.name;
      p.claim = spec.claim;
      p.type = spec.type;
      p.min = spec.min;
      p.max = spec.max;
      if (p.type == ParamType::kString && !p.max) p.max = DefaultStringMax();
      if (Status s = CheckDefaultMax(p, line); !s.ok()) return s;
      p.line = line;
      if (spec.default_value) {
        // Defaults are plain text, not percent-encoded: encode, then check like a request.
        std::string encoded;
        for (char ch : *spec.default_value) AppendEncodedByte(encoded, ch);
        int64_t default_int;
        if (Status s = CheckValue(p, encoded, &default_int); !s.ok()) {
          return Error(line, "bad default: " + std::string(s.message()));
        }
        std::string canonical;
        if (p.type == ParamType::kInt) {
          AppendInt(canonical, default_int);
        } else {
          canonical = std::move(encoded);
        }
        p.default_value = std::move(canonical);
      }
      c.params.push_back(std::move(p));
    }
    return Status::Ok();
  }

  // AddIgnoredParams compiles ApiOptions' then the endpoint's ignore_params. A pattern must be
  // non-empty text without '[', ']' or '\' (kept for classes and escapes, base/glob.h) and
  // may not match a parameter of the endpoint, route or query: that parameter could never be
  // given.
  Status AddIgnoredParams(Compiled& c) const {
    for (const auto* list : {&options_.ignore_params, &ep_.ignore_params}) {
      for (const ParamGlob& g : *list) {
        const int line = g.line != 0 ? g.line : ep_.line;
        if (g.pattern.empty() || std::any_of(g.pattern.begin(), g.pattern.end(), [](char ch) {
              const auto u = static_cast<unsigned char>(ch);
              return u < 0x20 || u == 0x7f || ch == '[' || ch == ']' || ch == '\\';
            })) {
          return Error(line, "ignore_params: bad pattern " + Quoted(g.pattern) +
                                 " (a name with * and ?; no [, ] or \\)");
        }
        for (const Compiled::Param& p : c.params) {
          if (GlobMatch(g.pattern, p.name)) {
            return Error(line, "ignore_params: " + Quoted(g.pattern) + " matches the parameter " +
                                   Quoted(p.name) + " (" + Where(options_, p.line) +
                                   "); a parameter the endpoint takes cannot be ignored");
          }
        }
        if (std::find(c.ignored.begin(), c.ignored.end(), g.pattern) == c.ignored.end()) {
          c.ignored.push_back(g.pattern);
        }
      }
    }
    return Status::Ok();
  }

  Status BoundRouteParam(Compiled::Param& p, const ParamSpec& spec, int line) const {
    if (spec.default_value) {
      return Error(line, "route parameter " + Quoted(spec.name) +
                             " cannot have a default (the path always gives it)");
    }
    if (spec.type != p.type) {
      return Error(line, "parameter " + Quoted(spec.name) + " is " +
                             (p.type == ParamType::kInt ? "an int" : "a string") +
                             " in the route; declare it with that type");
    }
    p.min = spec.min;
    if (spec.max) p.max = spec.max;
    p.line = line;
    return CheckDefaultMax(p, line);
  }

  // CheckDefaultMax refuses a string min above the default max that its ParamSpec left in
  // place (no value could pass).
  Status CheckDefaultMax(const Compiled::Param& p, int line) const {
    if (p.type != ParamType::kString || !p.min || !p.max || *p.min <= *p.max) return Status::Ok();
    return Error(line, "parameter " + Quoted(p.name) + ": min is greater than the default max (" +
                           std::to_string(*p.max) + " bytes, max_string_param); set max");
  }

  // AddPageParams adds a paged endpoint's `limit` and `cursor` (page.h); an endpoint may not
  // declare parameters of those names, nor `after`, since the query's :after is the cursor's.
  Status AddPageParams(Compiled& c) const {
    if (!ep_.page) return Status::Ok();
    const int line = ep_.page->line != 0 ? ep_.page->line : ep_.line;
    for (const Compiled::Param& p : c.params) {
      if (p.name == kLimitParam || p.name == kCursorParam || p.name == kAfterMarker) {
        return Error(p.line, "parameter " + Quoted(p.name) +
                                 " is reserved on a paged endpoint (page: limit, cursor and "
                                 ":after are shoal's)");
      }
    }
    Compiled::Param limit;
    limit.name = std::string(kLimitParam);
    limit.type = ParamType::kInt;
    limit.default_value = std::to_string(ep_.page->size);
    limit.min = 1;
    limit.max = ep_.page->max;
    limit.line = line;
    c.limit_param = c.params.size();
    c.params.push_back(std::move(limit));
    Compiled::Param cursor;
    cursor.name = std::string(kCursorParam);
    cursor.type = ParamType::kString;
    cursor.default_value = "";
    cursor.max = static_cast<int64_t>(kMaxCursorText);
    cursor.line = line;
    c.cursor_param = c.params.size();
    c.params.push_back(std::move(cursor));
    return Status::Ok();
  }

  Status Bind(Compiled& c, const store::StatementInfo& stmt) const {
    std::vector<bool> used(c.params.size(), false);
    bool after = false;
    for (const std::string& name : stmt.params) {
      if (ep_.page && name == kCursorParam) {
        return Error(ep_.line, "page: the query cannot use :cursor (:after is the cursor's value)");
      }
      if (ep_.page && (name == kAfterMarker || name == kLimitParam)) {
        const bool is_after = name == kAfterMarker;
        c.bindings.push_back(is_after ? Compiled::kBindAfter : Compiled::kBindLimit);
        if (is_after) {
          after = true;
        } else {
          used[c.limit_param] = true;
        }
        used[c.cursor_param] = used[c.cursor_param] || is_after;
        continue;
      }
      size_t i = 0;
      while (i < c.params.size() && c.params[i].name != name) ++i;
      if (i == c.params.size()) {
        return Error(ep_.line, "query uses :" + name +
                                   ", which is neither a route parameter nor a declared one");
      }
      used[i] = true;
      c.bindings.push_back(i);
    }
    if (ep_.page && (!after || !used[c.limit_param])) {
      return Error(ep_.page->line != 0 ? ep_.page->line : ep_.line,
                   "page: the query must use :after and :limit (e.g. `AND " + ep_.page->by +
                       (ep_.page->descending ? " < :after ORDER BY " + ep_.page->by + " DESC"
                                             : " > :after ORDER BY " + ep_.page->by) +
                       " LIMIT :limit`); it uses " +
                       (after                 ? ":after only"
                        : used[c.limit_param] ? ":limit only"
                                              : "neither"));
    }
    for (size_t i = 0; i < c.params.size(); ++i) {
      if (!used[i]) {
        return Error(c.params[i].line,
                     "parameter " + Quoted(c.params[i].name) + " is not used by the query");
      }
    }
    return Status::Ok();
  }

  Status MarkJsonColumns(Compiled& c, const store::StatementInfo& stmt) const {
    c.info.columns = stmt.columns;
    c.info.json_column.assign(stmt.columns.size(), false);
    c.info.column_meta = stmt.column_meta;
    c.info.column_meta.resize(stmt.columns.size());
    for (const std::string& name : ep_.json_columns) {
      auto it = std::find(stmt.columns.begin(), stmt.columns.end(), name);
      if (it == stmt.columns.end()) {
        std::string have;
        for (const auto& col : stmt.columns) have += (have.empty() ? "" : ", ") + col;
        return Error(ep_.line, "json column " + Quoted(name) +
                                   " is not a result column of the query (" + have + ")");
      }
      c.info.json_column[static_cast<size_t>(it - stmt.columns.begin())] = true;
    }
    return Status::Ok();
  }

  // CompileTags compiles the endpoint's tag templates against its parameters and the query's
  // result columns (tag_template.h). After MarkJsonColumns: it reads info.columns.
  Status CompileTags(Compiled& c) const {
    std::vector<std::string> names;
    names.reserve(c.params.size());
    for (const Compiled::Param& p : c.params) names.push_back(p.name);
    for (const TagSpec& spec : ep_.tags) {
      Result<TagTemplate> t = ParseTagTemplate(spec.text, names, c.info.columns);
      if (!t.ok()) return Error(spec.line != 0 ? spec.line : ep_.line, t.status().message());
      c.info.tags.push_back(std::move(t).value());
    }
    return Status::Ok();
  }

 private:
  const ApiOptions& options_;
  const EndpointOptions& ep_;
  std::shared_ptr<const Authenticator> global_auth_;
};

bool SameShape(const Compiled& a, const Compiled& b) {
  if (a.segments.size() != b.segments.size() || a.literal_mask != b.literal_mask) return false;
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i].literal != b.segments[i].literal) return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const Router>> Router::Build(const ApiOptions& options,
                                                    store::Store& store) {
  std::vector<std::unique_ptr<const Compiled>> compiled;
  // The top-level auth, shared by the endpoints without their own, keeps every claim they bind.
  std::vector<std::string> global_claims;
  for (const EndpointOptions& ep : options.endpoints) {
    if (!ep.auth) ClaimNames(ep, &global_claims);
  }
  static const AuthOptions kOpen;
  Result<std::shared_ptr<const Authenticator>> global_auth =
      BuildAuth(options, options.auth ? *options.auth : kOpen, std::move(global_claims));
  if (!global_auth.ok()) return global_auth.status();
  for (const EndpointOptions& ep : options.endpoints) {
    Result<std::unique_ptr<const Compiled>> c =
        EndpointBuilder(options, ep, *global_auth).Build(store);
    if (!c.ok()) return c.status();
    for (const auto& earlier : compiled) {
      if (SameShape(*earlier, **c)) {
        return Status::InvalidArgument(Where(options, ep.line) + ": endpoint " + Quoted(ep.route) +
                                       ": duplicates the route " + Quoted(earlier->info.route) +
                                       " at " + Where(options, earlier->info.line));
      }
    }
    compiled.push_back(std::move(c).value());
  }
  const bool paged = std::any_of(compiled.begin(), compiled.end(),
                                 [](const auto& c) { return c->info.page.has_value(); });
  if (paged && options.cursor_secret.empty()) {
    Log(options.logger, "api")
        .Warn(
            "page cursors are signed with a random key of this process: they stop working "
            "when it restarts and on every other node; set cursor_secret_env (or "
            "cluster.secret) to sign them alike everywhere");
  }
  return std::make_shared<const Router>(std::move(compiled));
}

}  // namespace shoal::api
