// LoadConfig and ParseConfig: the top level of the file and its small sections (listen,
// http, cache, admin, log, metrics); see config.h. The store, cluster and endpoint sections are in
// config_store.cc, config_cluster.cc and config_endpoints.cc, cors (top level and per
// endpoint) in config_cors.cc, the value syntax in config_values.cc.
#include "cli/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/file_mode.h"
#include "base/host_port.h"
#include "cli/config_internal.h"
#include "cli/version.h"

namespace shoal::cli {
namespace config_internal {

void Walker::Map(const YAML::Node& node, std::string_view where,
                 std::initializer_list<std::string_view> known) const {
  if (!node.IsMap()) Fail(node, std::string(where) + ": expected a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string message(where);
      message += ": unknown key '" + key + "' (known: ";
      for (std::string_view k : known) {
        if (message.back() != ' ') message += ", ";
        message += k;
      }
      message += ')';
      Fail(kv.first, message);
    }
  }
}

std::vector<std::string> Walker::Strings(const YAML::Node& node, std::string_view where) const {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(Scalar(node, where));
  } else if (node.IsSequence()) {
    for (const auto& v : node) out.push_back(Scalar(v, where));
  } else {
    Fail(node, std::string(where) + ": expected a value or a list of values");
  }
  return out;
}

int64_t Walker::Int(const YAML::Node& node, std::string_view where, int64_t lo, int64_t hi) const {
  const std::string s = Scalar(node, where);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    Fail(node, std::string(where) + ": expected an integer, got '" + s + "'");
  }
  if (v < lo || v > hi) {
    Fail(node, std::string(where) + ": " + s + " is outside " + std::to_string(lo) + ".." +
                   std::to_string(hi));
  }
  return v;
}

Duration Walker::Dur(const YAML::Node& node, std::string_view where, bool allow_zero) const {
  const std::string s = Scalar(node, where);
  Result<Duration> d = ParseDuration(s);
  if (!d.ok()) Fail(node, std::string(where) + ": " + std::string(d.status().message()));
  if (!allow_zero && d->count() == 0) Fail(node, std::string(where) + ": must be above zero");
  return *d;
}

size_t Walker::Size(const YAML::Node& node, std::string_view where) const {
  const std::string s = Scalar(node, where);
  Result<size_t> v = ParseSize(s);
  if (!v.ok()) Fail(node, std::string(where) + ": " + std::string(v.status().message()));
  return *v;
}

std::string Walker::Secret(const YAML::Node& section, std::string_view where, std::string_view key,
                           std::string_view why, bool* inline_secret) const {
  const std::string env_key = std::string(key) + "_env";
  const std::string name = std::string(where) + "." + std::string(key);
  if (section[std::string(key)] && section[env_key]) {
    Fail(section[env_key],
         std::string(where) + ": give '" + std::string(key) + "' or '" + env_key + "', not both");
  }
  std::string value;
  YAML::Node at;
  if (auto n = section[std::string(key)]) {
    value = Scalar(n, name);
    at = n;
    *inline_secret = true;
  } else if (auto e = section[env_key]) {
    const std::string var = Scalar(e, name + "_env");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): config is read at start-up, before any thread.
    const char* v = std::getenv(var.c_str());
    if (v == nullptr) Fail(e, name + "_env: the environment has no " + var);
    value = v;
    at = e;
  } else {
    return "";
  }
  if (value.size() < 16) {
    Fail(at, name + ": use at least 16 characters (" + std::string(why) + ")");
  }
  return value;
}

}  // namespace config_internal

namespace {

using config_internal::ConfigError;
using config_internal::Walker;

void ParseListen(const Walker& w, const YAML::Node& node, http::ServerOptions* out) {
  const std::string s = w.Scalar(node, "listen");
  Result<HostPort> hp =
      ParseHostPort(s, HostPortRules{.default_port = std::nullopt, .allow_port_zero = true});
  if (!hp.ok()) {
    w.Fail(node, "listen: " + std::string(hp.status().message()) + " (such as 127.0.0.1:8080)");
  }
  out->host = hp->host;
  out->port = hp->port;
}

void ParseHttp(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "http",
        {"threads", "max_connections", "max_connections_per_address", "first_byte_timeout",
         "idle_timeout", "header_timeout", "request_timeout", "max_request_line",
         "max_header_bytes", "max_headers", "max_body", "pipeline_limit", "max_string_param",
         "drain_delay", "debug_headers", "openapi"});
  http::ServerOptions* o = &c->http;
  if (auto n = node["threads"]) o->threads = static_cast<int>(w.Int(n, "http.threads", 0, 256));
  if (auto n = node["max_connections"]) {
    o->max_connections = static_cast<size_t>(w.Int(n, "http.max_connections", 1, 1000000));
  }
  if (auto n = node["max_connections_per_address"]) {
    o->max_connections_per_address =
        static_cast<size_t>(w.Int(n, "http.max_connections_per_address", 0, 1000000));
  }
  if (auto n = node["first_byte_timeout"]) {
    o->first_byte_timeout = w.Dur(n, "http.first_byte_timeout");
  }
  if (auto n = node["idle_timeout"]) o->idle_timeout = w.Dur(n, "http.idle_timeout");
  if (auto n = node["header_timeout"]) o->header_timeout = w.Dur(n, "http.header_timeout");
  if (auto n = node["request_timeout"]) o->request_timeout = w.Dur(n, "http.request_timeout");
  if (auto n = node["max_request_line"]) o->max_request_line = w.Size(n, "http.max_request_line");
  if (auto n = node["max_header_bytes"]) o->max_header_bytes = w.Size(n, "http.max_header_bytes");
  if (auto n = node["max_headers"]) {
    o->max_headers = static_cast<size_t>(w.Int(n, "http.max_headers", 1, 1000));
  }
  if (auto n = node["max_body"]) o->max_body = w.Size(n, "http.max_body");
  if (auto n = node["pipeline_limit"]) {
    o->pipeline_limit = static_cast<size_t>(w.Int(n, "http.pipeline_limit", 1, 1024));
  }
  if (auto n = node["drain_delay"]) o->drain_delay = w.Dur(n, "http.drain_delay", true);
  if (auto n = node["debug_headers"]) c->api.debug_headers = w.Bool(n, "http.debug_headers");
  if (auto n = node["openapi"]) c->api.openapi = w.Bool(n, "http.openapi");
  if (auto n = node["max_string_param"]) {
    c->api.max_string_param = w.Size(n, "http.max_string_param");
    if (c->api.max_string_param == 0) w.Fail(n, "http.max_string_param: must be above zero");
  }
}

void ParseCache(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "cache",
        {"memory", "memory_bound", "grace", "negative_ttl", "stale_if_error", "max_tags_per_entry",
         "cache_control", "cdn_cache_control"});
  if (auto n = node["memory"]) c->cache_memory = w.Size(n, "cache.memory");
  if (auto n = node["memory_bound"]) {
    c->cache_memory_bound = static_cast<unsigned>(w.Int(n, "cache.memory_bound", 0, 1000));
    if (c->cache_memory_bound > 0 && c->cache_memory_bound < 105) {
      w.Fail(n, "cache.memory_bound: a percentage of cache.memory, 105 to 1000 (0: no bound)");
    }
  }
  if (auto n = node["grace"]) c->api.grace = w.Dur(n, "cache.grace", true);
  if (auto n = node["max_tags_per_entry"]) {
    c->api.max_tags_per_entry =
        static_cast<size_t>(w.Int(n, "cache.max_tags_per_entry", 0, 100000));
  }
  if (auto n = node["negative_ttl"]) c->api.negative_ttl = w.Dur(n, "cache.negative_ttl", true);
  if (auto n = node["stale_if_error"]) {
    c->read_through.stale_if_error = w.Dur(n, "cache.stale_if_error", true);
    c->api.stale_if_error = c->read_through.stale_if_error;  // the endpoints' default (live)
  }
  if (auto n = node["cache_control"]) {
    c->api.cache_control = config_internal::ParseCacheControl(w, n, "cache.cache_control");
  }
  if (auto n = node["cdn_cache_control"]) {
    c->api.cdn_cache_control = config_internal::ParseCacheControl(w, n, "cache.cdn_cache_control");
  }
}

void ParseLog(const Walker& w, const YAML::Node& node, LogOptions* o) {
  w.Map(node, "log", {"level", "format", "access"});
  if (auto n = node["level"]) {
    const std::string s = w.Scalar(n, "log.level");
    const std::optional<LogLevel> level = ParseLogLevel(s);
    if (!level) w.Fail(n, "log.level: expected debug, info, warn, error or off, got '" + s + "'");
    o->level = *level;
  }
  if (auto n = node["format"]) {
    const std::string s = w.Scalar(n, "log.format");
    const std::optional<LogFormat> format = ParseLogFormat(s);
    if (!format) w.Fail(n, "log.format: expected text or json, got '" + s + "'");
    o->format = *format;
  }
}

void ParseAdmin(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "admin", {"token", "token_env", "listen"});
  c->admin.token =
      w.Secret(node, "admin", "token", "it guards purge and the peer list", &c->file_holds_secret);
  if (auto n = node["listen"]) {
    const std::string s = w.Scalar(n, "admin.listen");
    Result<HostPort> hp =
        ParseHostPort(s, HostPortRules{.default_port = std::nullopt, .allow_port_zero = true});
    if (!hp.ok()) {
      w.Fail(n,
             "admin.listen: " + std::string(hp.status().message()) + " (such as 127.0.0.1:9090)");
    }
    if (hp->port != 0 && hp->port == c->http.port && hp->host == c->http.host) {
      w.Fail(n, "admin.listen: " + s +
                    " is the public listen address; give the admin "
                    "endpoints an address of their own");
    }
    c->admin.listen = hp->ToString();
    c->admin_http.host = hp->host;
    c->admin_http.port = hp->port;
  }
}

// ParseCursorSecret sets what page cursors are signed with (api/cursor.h): the variable that
// `cursor_secret_env` names, else cluster.secret (the derivation's label makes the two keys
// unrelated), else nothing (a random key per process). After the cluster section.
void ParseCursorSecret(const Walker& w, const YAML::Node& root, Config* c) {
  if (auto e = root["cursor_secret_env"]) {
    const std::string var = w.Scalar(e, "cursor_secret_env");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): config is read at start-up, before any thread.
    const char* v = std::getenv(var.c_str());
    if (v == nullptr) w.Fail(e, "cursor_secret_env: the environment has no " + var);
    c->api.cursor_secret = v;
    if (c->api.cursor_secret.size() < 16) {
      w.Fail(e, "cursor_secret_env: use at least 16 characters (it signs page cursors)");
    }
  }
  if (c->api.cursor_secret.empty()) c->api.cursor_secret = c->cluster.secret;
}

}  // namespace

Result<Config> ParseConfig(std::string_view text, const std::string& file) {
  Config c;
  c.file = file;
  c.api.config_file = file;
  c.api.version = std::string(Version());  // the OpenAPI document's info.version
  Walker w(file);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) {
      return Status::InvalidArgument(file +
                                     ":1: expected a mapping with listen, store, cache, "
                                     "endpoints");
    }
    w.Map(root, "config",
          {"listen", "http", "store", "cache", "cluster", "admin", "log", "metrics", "ready",
           "endpoints", "ignore_params", "cors", "cursor_secret_env", "auth"});
    if (auto n = root["listen"]) ParseListen(w, n, &c.http);
    if (auto n = root["http"]) ParseHttp(w, n, &c);
    if (!root["store"]) w.Fail(root, "config: needs 'store'");
    config_internal::ParseStore(w, root["store"], &c);
    if (auto n = root["cache"]) ParseCache(w, n, &c);
    // After cache: it reads the memory.
    if (auto n = root["cluster"]) config_internal::ParseCluster(w, n, &c);
    if (auto n = root["admin"]) ParseAdmin(w, n, &c);
    if (const YAML::Node n = root["log"]) {
      ParseLog(w, n, &c.log);
      if (const YAML::Node a = n["access"]) config_internal::ParseAccessLog(w, a, &c.access_log);
    }
    if (auto n = root["metrics"]) {
      w.Map(n, "metrics", {"cache"});
      if (auto m = n["cache"]) c.metrics_cache = w.Dur(m, "metrics.cache", /*allow_zero=*/true);
    }
    if (auto n = root["ready"]) {
      w.Map(n, "ready", {"probe_interval", "window"});
      if (auto m = n["probe_interval"]) c.ready.probe_interval = w.Dur(m, "ready.probe_interval");
      if (auto m = n["window"]) c.ready.window = w.Dur(m, "ready.window");
      if (c.ready.window < c.ready.probe_interval) {
        w.Fail(n, "ready.window: must be at least ready.probe_interval");
      }
    }
    if (auto n = root["ignore_params"]) {
      c.api.ignore_params = config_internal::ParseIgnoreParams(w, n);
    }
    if (auto n = root["cors"]) {
      c.api.cors = config_internal::ParseCors(w, n);
      if (!c.api.cors->enabled) w.Fail(n, "cors: false is for an endpoint; here, leave cors out");
    }
    ParseCursorSecret(w, root, &c);
    if (auto n = root["auth"]) c.api.auth = config_internal::ParseAuth(w, n, "auth");
    const YAML::Node eps = root["endpoints"];
    if (!eps || !eps.IsSequence() || eps.size() == 0) {
      w.Fail(eps ? eps : root, "endpoints: expected a list of at least one endpoint");
    }
    for (const auto& e : eps) c.api.endpoints.push_back(config_internal::ParseEndpoint(w, e));
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's syntax errors carry a mark; its message already says what is wrong.
    return Status::InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  // The admin listener shares the public one's request limits, but not its address, threads
  // or connection cap.
  if (!c.admin.listen.empty()) {
    const std::string host = c.admin_http.host;
    const uint16_t port = c.admin_http.port;
    c.admin_http = c.http;
    c.admin_http.host = host;
    c.admin_http.port = port;
    c.admin_http.threads = 1;
    c.admin_http.max_connections = 64;  // the operator's tools, not the public
  }
  return c;
}

std::string StorePathError(const Config& config, std::string_view message) {
  const char* where =
      config.store_kind == Config::StoreKind::kCassandra ? "store.cassandra" : "store.sqlite.path";
  return config.file + ":" + std::to_string(config.store_line) + ": " + where + ": " +
         std::string(message);
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot read the config file");
  std::stringstream text;
  text << in.rdbuf();
  Result<Config> c = ParseConfig(text.str(), path);
  if (c.ok() && c->file_holds_secret && ReadableByOthers(path)) {
    c->warnings.push_back(path +
                          ": holds a secret (admin.token, cluster.secret or a password) and "
                          "is readable by its group or others; chmod 600 it, or use the *_env "
                          "keys");
  }
  return c;
}

}  // namespace shoal::cli
