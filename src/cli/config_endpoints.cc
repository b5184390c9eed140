// The endpoints section of the config: one route, query and answer shape each.
#include <limits>

#include "cli/config_internal.h"

namespace shoal::cli::config_internal {
namespace {

api::ParamSpec ParseParam(const Walker& w, const YAML::Node& name, const YAML::Node& node) {
  api::ParamSpec p;
  p.name = w.Scalar(name, "params");
  p.line = w.Line(name);
  const std::string where = "params." + p.name;
  w.Map(node, where, {"type", "default", "min", "max", "from"});
  if (auto t = node["type"]) {
    const std::string type = w.Scalar(t, where + ".type");
    if (type == "int") {
      p.type = api::ParamType::kInt;
    } else if (type == "string") {
      p.type = api::ParamType::kString;
    } else {
      w.Fail(t, where + ".type: expected int or string, got '" + type + "'");
    }
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (auto d = node["default"]) p.default_value = w.Scalar(d, where + ".default");
  if (auto n = node["min"]) p.min = w.Int(n, where + ".min", kMin, kMax);
  if (auto n = node["max"]) p.max = w.Int(n, where + ".max", kMin, kMax);
  if (auto n = node["from"]) {  // from: claims.NAME (api/auth.h)
    const std::string from = w.Scalar(n, where + ".from");
    constexpr std::string_view kClaims = "claims.";
    if (!from.starts_with(kClaims) || from.size() == kClaims.size()) {
      w.Fail(n, where + ".from: expected claims.NAME (a claim of the caller's token)");
    }
    p.claim = from.substr(kClaims.size());
  }
  return p;
}

// ParsePage reads `page: {by, type, size, max, order, start}` (api/page.h); the router checks
// it against the query.
api::PageOptions ParsePage(const Walker& w, const YAML::Node& node) {
  w.Map(node, "page", {"by", "type", "size", "max", "order", "start"});
  api::PageOptions p;
  p.line = w.Line(node);
  if (!node["by"]) w.Fail(node, "page: needs 'by' (the result column pages are keyed on)");
  p.by = w.Scalar(node["by"], "page.by");
  if (auto t = node["type"]) {
    const std::string type = w.Scalar(t, "page.type");
    if (type == "string") {
      p.type = api::ParamType::kString;
    } else if (type != "int") {
      w.Fail(t, "page.type: expected int or string, got '" + type + "'");
    }
  }
  if (auto n = node["size"]) p.size = w.Int(n, "page.size", 1, 100000000);
  if (auto n = node["max"]) p.max = w.Int(n, "page.max", 1, 100000000);
  if (p.size > p.max) {
    w.Fail(node["size"] ? node["size"] : node, "page.size: " + std::to_string(p.size) +
                                                   " is above page.max (" + std::to_string(p.max) +
                                                   ")");
  }
  if (auto o = node["order"]) {
    const std::string order = w.Scalar(o, "page.order");
    if (order == "desc") {
      p.descending = true;
    } else if (order != "asc") {
      w.Fail(o, "page.order: expected asc or desc, got '" + order + "'");
    }
  }
  if (auto n = node["start"]) p.start = w.Scalar(n, "page.start");
  return p;
}

}  // namespace

std::vector<api::ParamGlob> ParseIgnoreParams(const Walker& w, const YAML::Node& node) {
  if (!node.IsSequence()) w.Fail(node, "ignore_params: expected a list of name patterns");
  std::vector<api::ParamGlob> out;
  for (const auto& g : node) out.push_back({w.Scalar(g, "ignore_params"), w.Line(g)});
  return out;
}

api::EndpointOptions ParseEndpoint(const Walker& w, const YAML::Node& node) {
  w.Map(node, "endpoint",
        {"route", "query", "params", "result", "json", "ttl", "max_rows", "max_body",
         "ignore_params", "cors", "page", "tags", "auth", "grace", "negative_ttl", "stale_if_error",
         "cache", "cache_control", "cdn_cache_control"});
  api::EndpointOptions e;
  e.line = w.Line(node);
  if (!node["route"]) w.Fail(node, "endpoint: needs 'route'");
  if (!node["query"]) w.Fail(node, "endpoint: needs 'query'");
  e.route = w.Scalar(node["route"], "route");
  e.query = w.Scalar(node["query"], "query");
  if (auto r = node["result"]) {
    const std::string s = w.Scalar(r, "result");
    if (s == "one") {
      e.result = api::ResultShape::kOne;
    } else if (s == "many") {
      e.result = api::ResultShape::kMany;
    } else {
      w.Fail(r, "result: expected one or many, got '" + s + "'");
    }
  }
  if (auto j = node["json"]) {
    if (!j.IsSequence()) w.Fail(j, "json: expected a list of column names");
    for (const auto& col : j) e.json_columns.push_back(w.Scalar(col, "json"));
  }
  if (auto t = node["ttl"]) {
    e.ttl = w.Dur(t, "ttl");
  } else {
    w.Fail(node, "endpoint " + e.route + ": needs 'ttl' (how long an answer stays fresh)");
  }
  if (auto n = node["max_rows"])
    e.max_rows = static_cast<size_t>(w.Int(n, "max_rows", 1, 100000000));
  if (auto n = node["max_body"]) {
    e.max_body = w.Size(n, "max_body");
    if (*e.max_body == 0) w.Fail(n, "max_body: must be above zero");
  }
  if (auto g = node["ignore_params"]) e.ignore_params = ParseIgnoreParams(w, g);
  if (auto c = node["cors"]) e.cors = ParseCors(w, c);
  if (auto pg = node["page"]) e.page = ParsePage(w, pg);
  if (auto tags = node["tags"]) {  // tag templates (api/tag_template.h), checked at Build
    if (!tags.IsSequence()) w.Fail(tags, "tags: expected a list of templates like \"item:{id}\"");
    for (const auto& t : tags) e.tags.push_back({w.Scalar(t, "tags"), w.Line(t)});
  }
  if (auto a = node["auth"]) e.auth = ParseAuth(w, a, "endpoint.auth");
  ParseEndpointCachePolicy(w, node, &e);
  if (auto ps = node["params"]) {
    if (!ps.IsMap()) w.Fail(ps, "params: expected a mapping of name: {type, default, min, max}");
    for (const auto& kv : ps) e.params.push_back(ParseParam(w, kv.first, kv.second));
  }
  return e;
}

}  // namespace shoal::cli::config_internal
