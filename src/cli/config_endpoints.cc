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
  w.Map(node, where, {"type", "default", "min", "max"});
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
  return p;
}

}  // namespace

api::EndpointOptions ParseEndpoint(const Walker& w, const YAML::Node& node) {
  w.Map(node, "endpoint",
        {"route", "query", "params", "result", "json", "ttl", "max_rows", "max_body", "grace",
         "negative_ttl", "stale_if_error", "cache", "cache_control", "cdn_cache_control"});
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
  ParseEndpointCachePolicy(w, node, &e);
  if (auto ps = node["params"]) {
    if (!ps.IsMap()) w.Fail(ps, "params: expected a mapping of name: {type, default, min, max}");
    for (const auto& kv : ps) e.params.push_back(ParseParam(w, kv.first, kv.second));
  }
  return e;
}

}  // namespace shoal::cli::config_internal
