#include "cli/config.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/host_port.h"

namespace shoal::cli {
namespace {

// ConfigError carries a message that already names file:line. It is thrown only inside this
// file, by the tree walk below, and caught in ParseConfig: no exception leaves the file.
struct ConfigError {
  std::string message;
};

class Walker {
 public:
  explicit Walker(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& node, std::string_view what) const {
    std::ostringstream msg;
    msg << file_;
    if (node.Mark().line >= 0) msg << ":" << node.Mark().line + 1;
    msg << ": " << what;
    throw ConfigError{msg.str()};
  }

  int Line(const YAML::Node& node) const { return node.Mark().line + 1; }

  // Map checks that `node` is a mapping whose keys are all in `known`.
  void Map(const YAML::Node& node, std::string_view where,
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

  std::string Scalar(const YAML::Node& node, std::string_view where) const {
    if (!node.IsScalar()) Fail(node, std::string(where) + ": expected a single value");
    return node.Scalar();
  }

  int64_t Int(const YAML::Node& node, std::string_view where, int64_t lo, int64_t hi) const {
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

  Duration Dur(const YAML::Node& node, std::string_view where, bool allow_zero = false) const {
    const std::string s = Scalar(node, where);
    Result<Duration> d = ParseDuration(s);
    if (!d.ok()) Fail(node, std::string(where) + ": " + std::string(d.status().message()));
    if (!allow_zero && d->count() == 0) Fail(node, std::string(where) + ": must be above zero");
    return *d;
  }

  size_t Size(const YAML::Node& node, std::string_view where) const {
    const std::string s = Scalar(node, where);
    Result<size_t> v = ParseSize(s);
    if (!v.ok()) Fail(node, std::string(where) + ": " + std::string(v.status().message()));
    return *v;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

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

void ParseHttp(const Walker& w, const YAML::Node& node, http::ServerOptions* o) {
  w.Map(node, "http",
        {"threads", "max_connections", "idle_timeout", "header_timeout", "request_timeout",
         "max_request_line", "max_header_bytes", "max_headers", "max_body", "pipeline_limit"});
  if (auto n = node["threads"]) o->threads = static_cast<int>(w.Int(n, "http.threads", 0, 256));
  if (auto n = node["max_connections"]) {
    o->max_connections = static_cast<size_t>(w.Int(n, "http.max_connections", 1, 1000000));
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
}

// ParseConsistency reads a CQL consistency level by its name, as cqlsh spells it.
store::cassandra::Consistency ParseConsistency(const Walker& w, const YAML::Node& node) {
  using store::cassandra::Consistency;
  const std::string s = w.Scalar(node, "store.cassandra.consistency");
  static constexpr Consistency kReads[] = {Consistency::kOne,        Consistency::kTwo,
                                           Consistency::kThree,      Consistency::kQuorum,
                                           Consistency::kAll,        Consistency::kLocalQuorum,
                                           Consistency::kEachQuorum, Consistency::kLocalOne,
                                           Consistency::kSerial,     Consistency::kLocalSerial};
  for (Consistency c : kReads) {
    if (s == store::cassandra::ConsistencyName(static_cast<uint16_t>(c))) return c;
  }
  w.Fail(node, "store.cassandra.consistency: '" + s +
                   "' is not one of ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, "
                   "LOCAL_ONE, SERIAL, LOCAL_SERIAL");
  return Consistency::kOne;  // not reached: Fail throws
}

void ParseCassandra(const Walker& w, const YAML::Node& s, Config* c) {
  w.Map(s, "store.cassandra",
        {"contact_points", "port", "keyspace", "user", "password", "password_env", "consistency",
         "connections", "threads", "page_size", "queue", "connect_timeout", "discover_peers"});
  c->store_kind = Config::StoreKind::kCassandra;
  c->store_line = w.Line(s);
  store::CassandraOptions& o = c->cassandra;
  const YAML::Node points = s["contact_points"];
  if (!points) w.Fail(s, "store.cassandra: needs 'contact_points: [HOST:PORT, ...]'");
  if (points.IsScalar()) {
    o.session.contact_points.push_back(w.Scalar(points, "store.cassandra.contact_points"));
  } else if (points.IsSequence() && points.size() > 0) {
    for (const auto& p : points) {
      o.session.contact_points.push_back(w.Scalar(p, "store.cassandra.contact_points"));
    }
  } else {
    w.Fail(points, "store.cassandra.contact_points: expected HOST:PORT or a list of them");
  }
  if (auto n = s["port"]) {
    o.session.port = static_cast<uint16_t>(w.Int(n, "store.cassandra.port", 1, 65535));
  }
  if (!s["keyspace"]) w.Fail(s, "store.cassandra: needs 'keyspace'");
  o.session.keyspace = w.Scalar(s["keyspace"], "store.cassandra.keyspace");
  if (auto n = s["user"]) o.session.user = w.Scalar(n, "store.cassandra.user");
  if (s["password"] && s["password_env"]) {
    w.Fail(s["password_env"], "store.cassandra: give 'password' or 'password_env', not both");
  }
  if (auto n = s["password"]) o.session.password = w.Scalar(n, "store.cassandra.password");
  if (auto n = s["password_env"]) {
    const std::string name = w.Scalar(n, "store.cassandra.password_env");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): config is read at start-up, before any thread.
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      w.Fail(n, "store.cassandra.password_env: the environment has no " + name);
    }
    o.session.password = value;
  }
  if ((s["password"] || s["password_env"]) && o.session.user.empty()) {
    w.Fail(s, "store.cassandra: a password needs a 'user'");
  }
  if (auto n = s["consistency"]) o.consistency = ParseConsistency(w, n);
  if (auto n = s["connections"]) {
    o.session.connections_per_node =
        static_cast<size_t>(w.Int(n, "store.cassandra.connections", 1, 64));
  }
  if (auto n = s["threads"]) {
    o.session.io_threads = static_cast<size_t>(w.Int(n, "store.cassandra.threads", 1, 64));
  }
  if (auto n = s["page_size"]) {
    o.page_size = static_cast<int32_t>(w.Int(n, "store.cassandra.page_size", 1, 1000000));
  }
  if (auto n = s["queue"]) {
    o.queue_limit = static_cast<size_t>(w.Int(n, "store.cassandra.queue", 1, 1000000));
  }
  if (auto n = s["connect_timeout"]) {
    o.session.connect_timeout = w.Dur(n, "store.cassandra.connect_timeout");
  }
  if (auto n = s["discover_peers"]) {
    const std::string v = w.Scalar(n, "store.cassandra.discover_peers");
    if (v != "true" && v != "false") {
      w.Fail(n, "store.cassandra.discover_peers: expected true or false");
    }
    o.session.discover_peers = v == "true";
  }
}

void ParseStore(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "store", {"sqlite", "cassandra", "timeout"});
  if (node["sqlite"] && node["cassandra"]) {
    w.Fail(node["cassandra"], "store: give 'sqlite' or 'cassandra', not both");
  }
  if (auto n = node["timeout"]) c->api.store_timeout = w.Dur(n, "store.timeout");
  if (node["cassandra"]) {
    ParseCassandra(w, node["cassandra"], c);
    return;
  }
  const YAML::Node s = node["sqlite"];
  if (!s) w.Fail(node, "store: needs 'sqlite: { path: FILE }' or 'cassandra: { ... }'");
  w.Map(s, "store.sqlite", {"path", "threads", "queue"});
  if (!s["path"]) w.Fail(s, "store.sqlite: needs 'path'");
  std::filesystem::path path = w.Scalar(s["path"], "store.sqlite.path");
  c->store_line = w.Line(s["path"]);
  if (path.is_relative()) {
    path = std::filesystem::path(w.file()).parent_path() / path;
  }
  c->sqlite.path = path.lexically_normal().string();
  if (auto n = s["threads"])
    c->sqlite.threads = static_cast<int>(w.Int(n, "store.sqlite.threads", 1, 256));
  if (auto n = s["queue"]) {
    c->sqlite.queue_limit = static_cast<size_t>(w.Int(n, "store.sqlite.queue", 1, 1000000));
  }
}

void ParseCache(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "cache", {"memory", "grace", "negative_ttl", "stale_if_error"});
  if (auto n = node["memory"]) c->cache_memory = w.Size(n, "cache.memory");
  if (auto n = node["grace"]) c->api.grace = w.Dur(n, "cache.grace", true);
  if (auto n = node["negative_ttl"]) c->api.negative_ttl = w.Dur(n, "cache.negative_ttl", true);
  if (auto n = node["stale_if_error"]) {
    c->read_through.stale_if_error = w.Dur(n, "cache.stale_if_error", true);
  }
}

void ParseCluster(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "cluster",
        {"self", "peers", "listen", "secret", "peer_timeout", "probe_interval", "connections",
         "threads", "hot_memory", "hot_min_hits", "ring_points"});
  c->clustered = true;
  cluster::ClusterOptions& o = c->cluster;
  if (!node["self"]) w.Fail(node, "cluster: needs 'self: HOST:PORT' (this node's peer address)");
  o.self = w.Scalar(node["self"], "cluster.self");
  const YAML::Node peers = node["peers"];
  if (!peers || !peers.IsSequence()) {
    w.Fail(peers ? peers : node, "cluster.peers: expected a list of HOST:PORT (the key owners)");
  }
  for (const auto& p : peers) o.peers.push_back(w.Scalar(p, "cluster.peers"));
  if (auto n = node["secret"]) {
    o.secret = w.Scalar(n, "cluster.secret");
    if (o.secret.size() < 16) {
      w.Fail(n, "cluster.secret: use at least 16 characters (it authenticates every peer)");
    }
  }
  if (auto n = node["listen"]) {
    o.listen_host = w.Scalar(n, "cluster.listen");
  } else if (o.secret.empty()) {
    // Without a secret anyone who reaches the peer port can read the cache and purge it.
    o.listen_host = "127.0.0.1";
    c->peer_listen_defaulted = true;
  }
  if (auto n = node["peer_timeout"]) o.peer_timeout = w.Dur(n, "cluster.peer_timeout");
  if (auto n = node["probe_interval"]) o.probe_interval = w.Dur(n, "cluster.probe_interval");
  if (auto n = node["connections"]) {
    o.connections = static_cast<size_t>(w.Int(n, "cluster.connections", 1, 64));
  }
  if (auto n = node["threads"]) {
    c->rpc_threads = static_cast<size_t>(w.Int(n, "cluster.threads", 1, 64));
  }
  if (auto n = node["hot_min_hits"]) {
    o.hot_min_hits = static_cast<uint32_t>(w.Int(n, "cluster.hot_min_hits", 1, 15));
  }
  if (auto n = node["ring_points"]) {
    o.ring_points = static_cast<size_t>(w.Int(n, "cluster.ring_points", 1, 4096));
  }
  c->hot_memory = c->cache_memory / 8;
  if (auto n = node["hot_memory"]) {
    c->hot_memory = w.Size(n, "cluster.hot_memory");
    if (c->cache_memory > 0 && c->hot_memory >= c->cache_memory) {
      w.Fail(n, "cluster.hot_memory: must be below cache.memory (it is taken out of it)");
    }
  }
  if (c->cache_memory == 0) c->hot_memory = 0;  // a node without memory keeps no copies
  o.hot_cache = c->hot_memory > 0;
  // self is checked here, at its own line; what ValidateOptions finds is about the peer list.
  if (Result<HostPort> self = ParseHostPort(o.self); !self.ok()) {
    w.Fail(node["self"], "cluster: self: " + std::string(self.status().message()));
  }
  if (Status s = cluster::Cluster::ValidateOptions(o, c->cache_memory > 0); !s.ok()) {
    w.Fail(peers, "cluster: " + std::string(s.message()));
  }
}

void ParseLog(const Walker& w, const YAML::Node& node, LogOptions* o) {
  w.Map(node, "log", {"level", "format"});
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
  w.Map(node, "admin", {"token"});
  if (auto n = node["token"]) {
    c->admin.token = w.Scalar(n, "admin.token");
    if (c->admin.token.size() < 16) {
      w.Fail(n, "admin.token: use at least 16 characters (it guards purge and the peer list)");
    }
  }
}

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

api::EndpointOptions ParseEndpoint(const Walker& w, const YAML::Node& node) {
  w.Map(node, "endpoint", {"route", "query", "params", "result", "json", "ttl"});
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
  if (auto ps = node["params"]) {
    if (!ps.IsMap()) w.Fail(ps, "params: expected a mapping of name: {type, default, min, max}");
    for (const auto& kv : ps) e.params.push_back(ParseParam(w, kv.first, kv.second));
  }
  return e;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  using std::chrono::duration_cast;
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("expected a duration such as 60s, 5m or 250ms, got '" +
                                   std::string(text) + "'");
  }
  // 10 years in any unit is the ceiling: it keeps every sum of deadlines far from overflow.
  constexpr uint64_t kMaxSeconds = 10ull * 365 * 24 * 3600;
  uint64_t ms = 0;
  if (unit == "ms") {
    ms = n;
  } else if (unit == "s") {
    ms = n * 1000;
  } else if (unit == "m") {
    ms = n * 60 * 1000;
  } else if (unit == "h") {
    ms = n * 3600 * 1000;
  } else if (unit == "d") {
    ms = n * 24 * 3600 * 1000;
  } else {
    return Status::InvalidArgument("expected a duration unit ms, s, m, h or d in '" +
                                   std::string(text) + "'");
  }
  if (n > kMaxSeconds * 1000 || ms > kMaxSeconds * 1000) {
    return Status::InvalidArgument("duration '" + std::string(text) + "' is too long");
  }
  return duration_cast<Duration>(std::chrono::milliseconds(ms));
}

Result<size_t> ParseSize(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("expected a size such as 256MiB, got '" + std::string(text) +
                                   "'");
  }
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  uint64_t mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB") {
    mult = 1ull << 10;
  } else if (unit == "MiB") {
    mult = 1ull << 20;
  } else if (unit == "GiB") {
    mult = 1ull << 30;
  } else if (unit == "KB") {
    mult = 1000;
  } else if (unit == "MB") {
    mult = uint64_t{1000} * 1000;
  } else if (unit == "GB") {
    mult = uint64_t{1000} * 1000 * 1000;
  } else {
    return Status::InvalidArgument("unknown size unit in '" + std::string(text) +
                                   "' (B, KiB, MiB, GiB, KB, MB, GB)");
  }
  if (n > (1ull << 50) / mult) {
    return Status::InvalidArgument("size '" + std::string(text) + "' is too large");
  }
  return static_cast<size_t>(n * mult);
}

Result<Config> ParseConfig(std::string_view text, const std::string& file) {
  Config c;
  c.file = file;
  c.api.config_file = file;
  Walker w(file);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) {
      return Status::InvalidArgument(file +
                                     ":1: expected a mapping with listen, store, cache, "
                                     "endpoints");
    }
    w.Map(root, "config",
          {"listen", "http", "store", "cache", "cluster", "admin", "log", "endpoints"});
    if (auto n = root["listen"]) ParseListen(w, n, &c.http);
    if (auto n = root["http"]) ParseHttp(w, n, &c.http);
    if (!root["store"]) w.Fail(root, "config: needs 'store'");
    ParseStore(w, root["store"], &c);
    if (auto n = root["cache"]) ParseCache(w, n, &c);
    if (auto n = root["cluster"]) ParseCluster(w, n, &c);  // after cache: it reads the memory
    if (auto n = root["admin"]) ParseAdmin(w, n, &c);
    if (auto n = root["log"]) ParseLog(w, n, &c.log);
    const YAML::Node eps = root["endpoints"];
    if (!eps || !eps.IsSequence() || eps.size() == 0) {
      w.Fail(eps ? eps : root, "endpoints: expected a list of at least one endpoint");
    }
    for (const auto& e : eps) c.api.endpoints.push_back(ParseEndpoint(w, e));
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's syntax errors carry a mark; its message already says what is wrong.
    return Status::InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
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
  return ParseConfig(text.str(), path);
}

}  // namespace shoal::cli
