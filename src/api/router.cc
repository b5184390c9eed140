// Router: config checks, request matching and the canonical key; see router.h.
//
// Matching works on the request's bytes in place: percent-decoding happens on the fly while
// comparing literals, parsing ints and writing the key, so a match allocates the key string
// and nothing else (plus the bound values when asked). Per-parameter state lives in arrays
// of kMaxParams on the stack.
#include "api/router.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace shoal::api {

struct Router::Compiled {
  struct Segment {
    bool param = false;
    std::string literal;  // when !param: the text, which needs no percent-encoding
    size_t index = 0;     // when param: index into params
  };
  struct Param {
    std::string name;
    ParamType type = ParamType::kString;
    bool in_path = false;
    std::optional<std::string> default_value;  // canonical (percent-encoded) form
    std::optional<int64_t> min, max;
    int line = 0;
  };

  EndpointInfo info;
  std::vector<Segment> segments;
  // Bit (kMaxSegments - 1 - i) is set when segment i is a literal: of two routes whose shapes
  // both match a path, the one with the larger mask has a literal first where they differ.
  uint32_t literal_mask = 0;
  std::vector<Param> params;                // path parameters first, in route order
  std::vector<size_t> query_params_sorted;  // the declared ones, sorted by name
  std::vector<size_t> bindings;             // statement parameter i is params[bindings[i]]
  std::string literal_prefix;
};

namespace {

using Compiled = Router::Compiled;

// ---- percent-encoding -------------------------------------------------------------------

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// NextByte decodes the byte at s[*i] (a plain byte or a %XX escape) into *out and advances
// *i; false when the escape is malformed.
bool NextByte(std::string_view s, size_t* i, char* out) {
  if (s[*i] != '%') {
    *out = s[(*i)++];
    return true;
  }
  if (s.size() - *i < 3) return false;
  const int hi = HexValue(s[*i + 1]);
  const int lo = HexValue(s[*i + 2]);
  if (hi < 0 || lo < 0) return false;
  *out = static_cast<char>(hi * 16 + lo);
  *i += 3;
  return true;
}

// DecodedLength sets *length to the decoded size of `s`; false on a malformed escape.
bool DecodedLength(std::string_view s, size_t* length) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    char c;
    if (!NextByte(s, &i, &c)) return false;
    ++n;
  }
  *length = n;
  return true;
}

// DecodedEquals reports whether `encoded` decodes to exactly `plain`.
bool DecodedEquals(std::string_view encoded, std::string_view plain) {
  // Nearly every request spells its path plainly: then it is a plain comparison.
  if (encoded.find('%') == std::string_view::npos) return encoded == plain;
  size_t i = 0, j = 0;
  while (i < encoded.size()) {
    char c;
    if (j == plain.size() || !NextByte(encoded, &i, &c) || c != plain[j]) return false;
    ++j;
  }
  return j == plain.size();
}

// Decode returns `s` decoded. REQUIRES: DecodedLength(s) succeeded.
std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = 0;
    if (!NextByte(s, &i, &c)) break;
    out.push_back(c);
  }
  return out;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendEncodedByte(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (IsUnreserved(c)) {
    out.push_back(c);
    return;
  }
  const auto b = static_cast<unsigned char>(c);
  out.push_back('%');
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 0xF]);
}

// AppendCanonical re-encodes the percent-encoded `s` canonically.
// REQUIRES: DecodedLength(s) succeeded.
void AppendCanonical(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char c = 0;
    if (!NextByte(s, &i, &c)) break;
    AppendEncodedByte(out, c);
  }
}

// ParseInt parses the percent-encoded `s` as [+-]digits fitting in int64.
bool ParseInt(std::string_view s, int64_t* out) {
  size_t i = 0;
  char c = 0;
  bool negative = false;
  if (s.empty() || !NextByte(s, &i, &c)) return false;
  if (c == '+' || c == '-') {
    negative = c == '-';
    if (i == s.size() || !NextByte(s, &i, &c)) return false;
  }
  // Accumulate negatively: the int64 range reaches one further below zero than above.
  int64_t v = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  while (true) {
    if (c < '0' || c > '9') return false;
    const int d = c - '0';
    if (v < (kMin + d) / 10) return false;
    v = v * 10 - d;
    if (i == s.size()) break;
    if (!NextByte(s, &i, &c)) return false;
  }
  if (!negative) {
    if (v == kMin) return false;
    v = -v;
  }
  *out = v;
  return true;
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes always hold an int64
  out.append(buf, static_cast<size_t>(end - buf));
}

// ---- route shape ------------------------------------------------------------------------

// SegmentIterator walks "/a/b/c" as "a", "b", "c". REQUIRES: path starts with '/'.
class SegmentIterator {
 public:
  explicit SegmentIterator(std::string_view path) : rest_(path.substr(1)) {}
  bool Next(std::string_view* segment) {
    if (done_) return false;
    const size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      *segment = rest_;
      done_ = true;
    } else {
      *segment = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

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

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ---- building ---------------------------------------------------------------------------

// CheckValue checks one percent-encoded value against its parameter; for an int it stores
// the value in *int_value. Messages name the parameter and what was expected.
Status CheckValue(const Compiled::Param& p, std::string_view encoded, int64_t* int_value) {
  size_t length = 0;
  if (!DecodedLength(encoded, &length)) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + ": invalid percent-encoding");
  }
  int64_t v = 0;
  if (p.type == ParamType::kInt) {
    if (!ParseInt(encoded, &v)) {
      return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be an integer (int64)");
    }
    *int_value = v;
  } else {
    v = static_cast<int64_t>(length);
  }
  const char* what = p.type == ParamType::kInt ? "" : " bytes long";
  if (p.min && v < *p.min) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be at least " +
                                   std::to_string(*p.min) + what);
  }
  if (p.max && v > *p.max) {
    return Status::InvalidArgument("parameter " + Quoted(p.name) + " must be at most " +
                                   std::to_string(*p.max) + what);
  }
  return Status::Ok();
}

class EndpointBuilder {
 public:
  EndpointBuilder(const ApiOptions& options, const EndpointOptions& ep)
      : options_(options), ep_(ep) {}

  Result<std::unique_ptr<const Compiled>> Build(store::Store& store) {
    auto c = std::make_unique<Compiled>();
    c->info.route = ep_.route;
    c->info.result = ep_.result;
    c->info.ttl = ep_.ttl;
    c->info.line = ep_.line;
    if (ep_.ttl <= Duration::zero()) return Error(ep_.line, "ttl must be positive");
    if (Status s = ParseRoute(*c); !s.ok()) return s;
    if (Status s = AddDeclaredParams(*c); !s.ok()) return s;
    if (c->params.size() > kMaxParams) {
      return Error(ep_.line, "more than " + std::to_string(kMaxParams) + " parameters");
    }
    Result<store::StatementInfo> stmt = store.Prepare(ep_.query);
    if (!stmt.ok()) {
      return Error(ep_.line, "query does not prepare: " + std::string(stmt.status().message()));
    }
    if (Status s = Bind(*c, *stmt); !s.ok()) return s;
    if (Status s = MarkJsonColumns(*c, *stmt); !s.ok()) return s;
    c->info.statement = stmt->id;
    for (size_t i = 0; i < c->params.size(); ++i) {
      if (!c->params[i].in_path) c->query_params_sorted.push_back(i);
    }
    std::sort(c->query_params_sorted.begin(), c->query_params_sorted.end(),
              [&c](size_t a, size_t b) { return c->params[a].name < c->params[b].name; });
    return std::unique_ptr<const Compiled>(std::move(c));
  }

 private:
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
    bool prefix_done = false;
    c.literal_prefix = "/";
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
        p.line = ep_.line;
        c.params.push_back(std::move(p));
        prefix_done = true;
      } else {
        if (seg == "." || seg == "..") return Error(ep_.line, "malformed route: dot segment");
        if (!std::all_of(seg.begin(), seg.end(), IsLiteralChar)) {
          return Error(ep_.line,
                       "malformed route: character not allowed in segment " + Quoted(seg));
        }
        s.literal = std::string(seg);
        c.literal_mask |= uint32_t{1} << (kMaxSegments - 1 - c.segments.size());
        if (!prefix_done) {
          c.literal_prefix += seg;
          c.literal_prefix += '/';
        }
      }
      c.segments.push_back(std::move(s));
    }
    // A route without parameters is its own prefix (no trailing slash).
    if (!prefix_done) c.literal_prefix.pop_back();
    return Status::Ok();
  }

  Status AddDeclaredParams(Compiled& c) const {
    for (const ParamSpec& spec : ep_.params) {
      const int line = spec.line != 0 ? spec.line : ep_.line;
      if (!IsIdentifier(spec.name)) return Error(line, "bad parameter name " + Quoted(spec.name));
      for (const auto& p : c.params) {
        if (p.name != spec.name) continue;
        return Error(line, p.in_path ? "query parameter " + Quoted(spec.name) +
                                           " has the name of a route parameter"
                                     : "duplicate parameter " + Quoted(spec.name));
      }
      if (spec.min && spec.max && *spec.min > *spec.max) {
        return Error(line, "parameter " + Quoted(spec.name) + ": min is greater than max");
      }
      if (spec.type == ParamType::kString &&
          ((spec.min && *spec.min < 0) || (spec.max && *spec.max < 0))) {
        return Error(line, "parameter " + Quoted(spec.name) +
                               ": a string's bounds are lengths and cannot be negative");
      }
      Compiled::Param p;
      p.name = spec.name;
      p.type = spec.type;
      p.min = spec.min;
      p.max = spec.max;
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

  Status Bind(Compiled& c, const store::StatementInfo& stmt) const {
    std::vector<bool> used(c.params.size(), false);
    for (const std::string& name : stmt.params) {
      size_t i = 0;
      while (i < c.params.size() && c.params[i].name != name) ++i;
      if (i == c.params.size()) {
        return Error(ep_.line, "query uses :" + name +
                                   ", which is neither a route parameter nor a declared one");
      }
      used[i] = true;
      c.bindings.push_back(i);
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

 private:
  const ApiOptions& options_;
  const EndpointOptions& ep_;
};

bool SameShape(const Compiled& a, const Compiled& b) {
  if (a.segments.size() != b.segments.size() || a.literal_mask != b.literal_mask) return false;
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i].literal != b.segments[i].literal) return false;
  }
  return true;
}

}  // namespace

Router::Router(std::vector<std::unique_ptr<const Compiled>> endpoints)
    : endpoints_(std::move(endpoints)) {}

Router::~Router() = default;

Result<std::shared_ptr<const Router>> Router::Build(const ApiOptions& options,
                                                    store::Store& store) {
  std::vector<std::unique_ptr<const Compiled>> compiled;
  for (const EndpointOptions& ep : options.endpoints) {
    Result<std::unique_ptr<const Compiled>> c = EndpointBuilder(options, ep).Build(store);
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
  return std::make_shared<const Router>(std::move(compiled));
}

const EndpointInfo& Router::endpoint(size_t i) const { return endpoints_[i]->info; }

std::string_view Router::LiteralPrefix(size_t endpoint) const {
  return endpoints_[endpoint]->literal_prefix;
}

std::optional<size_t> Router::FindRoute(std::string_view path) const {
  std::optional<size_t> best;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!ShapeMatches(*endpoints_[i], path)) continue;
    if (!best || endpoints_[i]->literal_mask > endpoints_[*best]->literal_mask) best = i;
  }
  return best;
}

bool Router::KeyBelongsTo(std::string_view key, size_t endpoint) const {
  const std::optional<size_t> found = FindRoute(key.substr(0, key.find('?')));
  return found && *found == endpoint;
}

Result<RouteMatch> Router::Match(std::string_view path, std::string_view query, bool bind) const {
  const std::optional<size_t> found = FindRoute(path);
  if (!found) return Status::NotFound("no route for this path");
  RouteMatch m;
  m.endpoint = *found;
  if (Status s = Build(*found, path, query, &m.key, bind ? &m.values : nullptr); !s.ok()) return s;
  return m;
}

Status Router::KeyFor(size_t endpoint, std::string_view path, std::string_view query,
                      std::string* key) const {
  return Build(endpoint, path, query, key, nullptr);
}

Status Router::Build(size_t endpoint, std::string_view path, std::string_view query,
                     std::string* key_out, std::vector<store::Value>* values) const {
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
      unknown += (unknown.empty() ? "" : ", ") + Quoted(name);
      continue;
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
      if (e.params[i].type == ParamType::kInt) {
        values->emplace_back(ints[i]);
      } else {
        values->emplace_back(Decode(raw[i]));
      }
    }
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
