// The TLS sections of the config (store.cassandra.tls, cluster.tls): file names resolved
// against the config's directory, and the files checked at load (base/tls_files.h) so that a
// bad one is reported at the line of its key.
#include <filesystem>

#include "base/tls_files.h"
#include "cli/config_internal.h"

namespace shoal::cli::config_internal {

std::string ConfigPath(const Walker& w, const std::string& name) {
  std::filesystem::path path = name;
  if (path.is_relative()) path = std::filesystem::path(w.file()).parent_path() / path;
  return path.lexically_normal().string();
}

void CheckTlsSection(const Walker& w, const YAML::Node& section, std::string_view prefix,
                     const TlsFiles& files, bool cert_required) {
  const Status st = CheckTlsFiles(files, prefix, cert_required);
  if (st.ok()) return;
  // The message starts with the key it is about; point at that key's line.
  const std::string_view m = st.message();
  YAML::Node at = section;
  for (const char* key : {"ca", "cert", "key"}) {
    if (m.starts_with(std::string(prefix) + "." + key + ":") && section[key]) at = section[key];
  }
  w.Fail(at, m);
}

void ParseClusterTls(const Walker& w, const YAML::Node& n, TlsFiles* tls) {
  w.Map(n, "cluster.tls", {"ca", "cert", "key"});
  for (const char* key : {"ca", "cert", "key"}) {
    if (!n[key]) {
      w.Fail(n, std::string("cluster.tls: needs '") + key +
                    ": FILE'; ca (the CA of the nodes' certificates), cert and key (this "
                    "node's) go together");
    }
  }
  tls->ca = ConfigPath(w, w.Scalar(n["ca"], "cluster.tls.ca"));
  tls->cert = ConfigPath(w, w.Scalar(n["cert"], "cluster.tls.cert"));
  tls->key = ConfigPath(w, w.Scalar(n["key"], "cluster.tls.key"));
  CheckTlsSection(w, n, "cluster.tls", *tls, true);
}

}  // namespace shoal::cli::config_internal
