// ParseAccessLog: the config's log.access section (see config.h and cli/access_log.h).
#include "cli/config_internal.h"

namespace shoal::cli::config_internal {

void ParseAccessLog(const Walker& w, const YAML::Node& node, AccessLogOptions* o) {
  if (!node.IsMap()) {
    w.Fail(node, "log.access: expected a mapping such as { path: access.log, format: combined }");
  }
  w.Map(node, "log.access", {"path", "format"});
  const YAML::Node path = node["path"];
  if (!path) w.Fail(node, "log.access: needs 'path' (a file, or stdout)");
  const std::string p = w.Scalar(path, "log.access.path");
  if (p.empty()) w.Fail(path, "log.access.path: expected a file name, or stdout");
  o->path = p == "stdout" ? p : ConfigPath(w, p);
  o->line = w.Line(path);
  o->file = w.file();
  if (auto n = node["format"]) {
    const std::string s = w.Scalar(n, "log.access.format");
    const std::optional<AccessLogFormat> format = ParseAccessLogFormat(s);
    if (!format) w.Fail(n, "log.access.format: expected combined or json, got '" + s + "'");
    o->format = *format;
  }
}

}  // namespace shoal::cli::config_internal
