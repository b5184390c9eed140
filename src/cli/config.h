// Config: the YAML file an operator writes, turned into each layer's Options.
//
// LoadConfig reads and checks the file's shape: known keys only, types, durations ("60s",
// "5m", "250ms"), sizes ("256MiB"), addresses, CIDR networks. Secrets (admin.token,
// cluster.secret, store.cassandra.password) may instead come from the environment
// (token_env, secret_env, password_env); auth.jwt's HS256 secret only from the environment
// (hs256_secret_env). Every error names the file and line
// ("shoal.yaml:12: cache.memory: expected a size such as 256MiB, got 'lots'"). Whether the
// endpoints hold together with the database (columns, parameters) is checked later, when
// api::Router::Build prepares them against the store; its errors also name file:line.
//
// Relative paths in the file (store.sqlite.path, log.access.path) are relative to the file's
// directory.
// Thread-compatible: plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/endpoint.h"
#include "api/readiness.h"
#include "base/status.h"
#include "cache/read_through.h"
#include "cli/access_log.h"
#include "cli/spdlog_logger.h"
#include "cluster/cluster.h"
#include "http/server.h"
#include "store/cassandra/cassandra_store.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::cli {

struct Config {
  std::string file;  // as given, for messages
  http::ServerOptions http;
  // The store section names exactly one database.
  enum class StoreKind { kSqlite, kCassandra };
  StoreKind store_kind = StoreKind::kSqlite;
  store::SqliteOptions sqlite;
  store::CassandraOptions cassandra;
  // Line of store.sqlite.path or store.cassandra, for errors found when opening the store.
  int store_line = 0;
  size_t cache_memory = 256u << 20;  // bytes
  // cache.memory_bound: how far the process's memory may grow over its size at start, in
  // percent of cache.memory (cache/memory_governor.h); 0: the caches' charges alone.
  unsigned cache_memory_bound = 125;
  cache::ReadThroughOptions read_through;
  api::ApiOptions api;  // endpoints, grace, negative_ttl, store_timeout, cors

  // The cluster section; absent: a single node.
  bool clustered = false;
  cluster::ClusterOptions cluster;
  size_t hot_memory = 0;               // the hot cache's share of cache_memory (default: an eighth)
  size_t rpc_threads = 1;              // threads for peer connections
  bool peer_listen_defaulted = false;  // no secret and no cluster.listen: loopback only

  api::AdminOptions admin;  // admin.token (or token_env), admin.listen
  // With admin.listen: the admin listener's options (the public listener's request limits;
  // its own address, one thread, at most 64 connections).
  http::ServerOptions admin_http;
  LogOptions log;               // log.level, log.format (--log-level overrides the level)
  AccessLogOptions access_log;  // log.access: path ("" when absent: no access log), format
  // metrics.cache: how long a rendered /_shoal/metrics page is served again; 0: every time.
  Duration metrics_cache = std::chrono::seconds(1);
  // ready.probe_interval, ready.window: GET /_shoal/ready's store probe (api/readiness.h).
  api::ReadinessOptions ready;

  // The file itself holds a secret (not through an *_env key).
  bool file_holds_secret = false;
  // Things the operator should fix that do not stop the node; serve and check-config print
  // them ("FILE: ..."). LoadConfig adds the one about a secret in a file others may read.
  std::vector<std::string> warnings;
};

// LoadConfig parses the YAML file at `path`.
Result<Config> LoadConfig(const std::string& path);

// ParseConfig parses YAML text; `file` names it in messages and anchors relative paths.
Result<Config> ParseConfig(std::string_view text, const std::string& file);

// StorePathError prefixes a store-opening error with the file and line of store.sqlite.path
// (or of store.cassandra).
std::string StorePathError(const Config& config, std::string_view message);

// ParseDuration accepts an integer followed by ms, s, m, h or d ("90s", "5m").
Result<Duration> ParseDuration(std::string_view text);
// ParseSize accepts an integer with an optional B, KiB, MiB, GiB (or KB/MB/GB = powers of 1000).
Result<size_t> ParseSize(std::string_view text);

}  // namespace shoal::cli
