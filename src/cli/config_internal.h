// The pieces of LoadConfig shared by its files (config.cc and config_*.cc); not for other
// callers. Walker walks the YAML tree and turns every problem into a ConfigError whose
// message names file:line; Parse* fill one section of a Config each.
//
// ConfigError is thrown only by Walker::Fail and caught in ParseConfig: no exception leaves
// the config files. Thread-compatible: a Walker is used by one parse.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/tls_files.h"
#include "cli/config.h"

namespace shoal::cli::config_internal {

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
           std::initializer_list<std::string_view> known) const;

  std::string Scalar(const YAML::Node& node, std::string_view where) const {
    if (!node.IsScalar()) Fail(node, std::string(where) + ": expected a single value");
    return node.Scalar();
  }

  // Strings reads one value or a list of values.
  std::vector<std::string> Strings(const YAML::Node& node, std::string_view where) const;

  bool Bool(const YAML::Node& node, std::string_view where) const {
    const std::string v = Scalar(node, where);
    if (v != "true" && v != "false") Fail(node, std::string(where) + ": expected true or false");
    return v == "true";
  }

  int64_t Int(const YAML::Node& node, std::string_view where, int64_t lo, int64_t hi) const;
  Duration Dur(const YAML::Node& node, std::string_view where, bool allow_zero = false) const;
  size_t Size(const YAML::Node& node, std::string_view where) const;

  // Secret reads a secret given inline (`key`) or through an environment variable
  // (`key`_env, the variable's name), at least 16 characters either way; "" if neither is
  // given. `why` ends the too-short message. Records in *inline_secret that the file itself
  // holds a secret (for the permission warning).
  std::string Secret(const YAML::Node& section, std::string_view where, std::string_view key,
                     std::string_view why, bool* inline_secret) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// ConfigPath resolves a file named in the config against the config's directory.
std::string ConfigPath(const Walker& w, const std::string& name);
// CheckTlsSection checks the files of a TLS section (`prefix`: "cluster.tls") with
// CheckTlsFiles (base/tls_files.h) and fails at the line of the key the error names.
void CheckTlsSection(const Walker& w, const YAML::Node& section, std::string_view prefix,
                     const TlsFiles& files, bool cert_required);
// ParseClusterTls reads cluster.tls: ca, cert and key, all required, checked now.
void ParseClusterTls(const Walker& w, const YAML::Node& n, TlsFiles* tls);

void ParseStore(const Walker& w, const YAML::Node& node, Config* c);
void ParseCluster(const Walker& w, const YAML::Node& node, Config* c);
api::EndpointOptions ParseEndpoint(const Walker& w, const YAML::Node& node);
// ParseIgnoreParams reads an `ignore_params` list (top level or an endpoint's): patterns with
// their lines; the Router checks them.
std::vector<api::ParamGlob> ParseIgnoreParams(const Walker& w, const YAML::Node& node);
// ParseCors reads a cors section (top level or an endpoint's): a mapping, or false (off).
api::CorsOptions ParseCors(const Walker& w, const YAML::Node& node);
// ParseAuth reads an auth section (`where`: "auth" or "endpoint.auth"): none, api_keys_file or
// jwt (config_auth.cc).
api::AuthOptions ParseAuth(const Walker& w, const YAML::Node& node, std::string_view where);
// ParseCacheControl reads a cache_control or cdn_cache_control mapping (`where` names it).
api::CacheControlOptions ParseCacheControl(const Walker& w, const YAML::Node& node,
                                           const std::string& where);
// ParseEndpointCachePolicy reads an endpoint's grace, negative_ttl, stale_if_error, cache,
// cache_control and cdn_cache_control (config_cache_policy.cc).
void ParseEndpointCachePolicy(const Walker& w, const YAML::Node& node, api::EndpointOptions* e);
// ParseAccessLog reads log.access: path (required; "stdout" or a file), format.
void ParseAccessLog(const Walker& w, const YAML::Node& node, AccessLogOptions* o);

}  // namespace shoal::cli::config_internal
