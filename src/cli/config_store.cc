// The store section of the config: store.sqlite or store.cassandra, and the answer caps.
#include <filesystem>

#include <arpa/inet.h>

#include "base/tls_files.h"
#include "cli/config_internal.h"

namespace shoal::cli::config_internal {
namespace {

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

// CidrProblem checks the syntax of "ADDRESS/BITS" (IPv4 or IPv6); "" when it is fine. The
// session matches node addresses against it; only the syntax is checked here.
std::string CidrProblem(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return "expected ADDRESS/BITS such as 10.0.0.0/8";
  const std::string addr = text.substr(0, slash);
  const std::string bits = text.substr(slash + 1);
  unsigned char buf[16];
  int max_bits = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    max_bits = 32;
  } else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    max_bits = 128;
  } else {
    return "'" + addr + "' is not an IPv4 or IPv6 address";
  }
  int n = -1;
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (bits.empty() || ec != std::errc() || p != bits.data() + bits.size() || n < 0 ||
      n > max_bits) {
    return "the prefix length must be 0.." + std::to_string(max_bits);
  }
  return "";
}

// ParseTls reads store.cassandra.tls and checks its files now, so a missing or unparsable one
// is reported with this file:line rather than as a node that does not answer.
void ParseTls(const Walker& w, const YAML::Node& n, store::cassandra::SessionOptions* session) {
  w.Map(n, "store.cassandra.tls", {"ca", "cert", "key", "verify_hostname"});
  if (!n["ca"]) w.Fail(n, "store.cassandra.tls: needs 'ca: FILE' (the CA that signed the nodes)");
  auto& tls = session->tls;
  tls.ca = ConfigPath(w, w.Scalar(n["ca"], "store.cassandra.tls.ca"));
  if (auto v = n["cert"]) tls.cert = ConfigPath(w, w.Scalar(v, "store.cassandra.tls.cert"));
  if (auto v = n["key"]) tls.key = ConfigPath(w, w.Scalar(v, "store.cassandra.tls.key"));
  if (auto v = n["verify_hostname"]) {
    tls.verify_hostname = w.Bool(v, "store.cassandra.tls.verify_hostname");
  }
  CheckTlsSection(w, n, "store.cassandra.tls",
                  TlsFiles{.ca = tls.ca, .cert = tls.cert, .key = tls.key}, false);
}

// ParseCassandraRouting reads the data-centre and speculative-read keys of store.cassandra.
void ParseCassandraRouting(const Walker& w, const YAML::Node& s,
                           store::cassandra::SessionOptions* o) {
  if (auto n = s["local_dc"]) {
    o->local_dc = w.Scalar(n, "store.cassandra.local_dc");
    if (o->local_dc.empty()) w.Fail(n, "store.cassandra.local_dc: a data centre's name, not empty");
  }
  if (auto n = s["remote_dc_fallback"]) {
    o->remote_dc_fallback = w.Bool(n, "store.cassandra.remote_dc_fallback");
  }
  if (auto n = s["token_aware"]) o->token_aware = w.Bool(n, "store.cassandra.token_aware");
  if (auto n = s["speculative_delay"]) {
    if (n.IsScalar() && n.Scalar() == "p99") {
      o->speculative_p99 = true;
    } else {
      o->speculative_delay = w.Dur(n, "store.cassandra.speculative_delay", /*allow_zero=*/true);
    }
  }
  if (auto n = s["speculative_max"]) {
    o->speculative_max = static_cast<size_t>(w.Int(n, "store.cassandra.speculative_max", 1, 8));
  }
}

void ParseCassandra(const Walker& w, const YAML::Node& s, Config* c) {
  w.Map(s, "store.cassandra",
        {"contact_points", "port", "keyspace", "user", "password", "password_env", "consistency",
         "connections", "threads", "page_size", "queue", "connect_timeout", "discover_peers",
         "authenticators", "node_networks", "compression", "tls",
         // routing and health (issue 14)
         "local_dc", "remote_dc_fallback", "token_aware", "speculative_delay", "speculative_max"});
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
  if (auto n = s["password"]) {
    o.session.password = w.Scalar(n, "store.cassandra.password");
    c->file_holds_secret = true;
  }
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
    o.session.discover_peers = w.Bool(n, "store.cassandra.discover_peers");
  }
  if (auto n = s["authenticators"]) {
    o.session.allowed_authenticators = w.Strings(n, "store.cassandra.authenticators");
    for (const std::string& a : o.session.allowed_authenticators) {
      if (a.empty()) w.Fail(n, "store.cassandra.authenticators: a class name is empty");
    }
    if (o.session.allowed_authenticators.empty()) {
      w.Fail(n, "store.cassandra.authenticators: expected at least one class name");
    }
  }
  if (auto n = s["compression"]) {
    const std::string v = w.Scalar(n, "store.cassandra.compression");
    if (v != "lz4" && v != "none") {
      w.Fail(n, "store.cassandra.compression: '" + v + "' is not one of lz4, none");
    }
    o.session.compression = v == "lz4";
  }
  if (auto n = s["tls"]) ParseTls(w, n, &o.session);
  if (auto n = s["node_networks"]) {
    o.session.node_networks = w.Strings(n, "store.cassandra.node_networks");
    const bool list = n.IsSequence();
    for (size_t i = 0; i < o.session.node_networks.size(); ++i) {
      const std::string problem = CidrProblem(o.session.node_networks[i]);
      if (!problem.empty()) {
        w.Fail(list ? n[i] : n,
               "store.cassandra.node_networks: '" + o.session.node_networks[i] + "': " + problem);
      }
    }
  }
  ParseCassandraRouting(w, s, &o.session);
}

}  // namespace

void ParseStore(const Walker& w, const YAML::Node& node, Config* c) {
  w.Map(node, "store", {"sqlite", "cassandra", "timeout", "max_rows", "max_body"});
  if (node["sqlite"] && node["cassandra"]) {
    w.Fail(node["cassandra"], "store: give 'sqlite' or 'cassandra', not both");
  }
  if (auto n = node["timeout"]) c->api.store_timeout = w.Dur(n, "store.timeout");
  if (auto n = node["max_rows"]) {
    c->api.max_rows = static_cast<size_t>(w.Int(n, "store.max_rows", 1, 100000000));
  }
  if (auto n = node["max_body"]) {
    c->api.max_body = w.Size(n, "store.max_body");
    if (c->api.max_body == 0) w.Fail(n, "store.max_body: must be above zero");
  }
  if (node["cassandra"]) {
    ParseCassandra(w, node["cassandra"], c);
    return;
  }
  const YAML::Node s = node["sqlite"];
  if (!s) w.Fail(node, "store: needs 'sqlite: { path: FILE }' or 'cassandra: { ... }'");
  w.Map(s, "store.sqlite", {"path", "threads", "queue", "page_cache"});
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
  if (auto n = s["page_cache"]) {
    c->sqlite.page_cache = w.Size(n, "store.sqlite.page_cache");
    if (c->sqlite.page_cache < 1024 || c->sqlite.page_cache > (size_t{1} << 30)) {
      w.Fail(n, "store.sqlite.page_cache: must be 1KiB..1GiB");
    }
  }
}

}  // namespace shoal::cli::config_internal
