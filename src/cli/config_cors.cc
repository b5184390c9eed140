// The cors sections of the config (top level and per endpoint): api::CorsOptions, every origin
// checked and put in its serialized form now, so that a mistake is a message naming file:line
// rather than a browser that silently refuses.
#include <string>

#include "api/cors.h"
#include "cli/config_internal.h"

namespace shoal::cli::config_internal {

api::CorsOptions ParseCors(const Walker& w, const YAML::Node& node) {
  api::CorsOptions o;
  if (node.IsScalar() && node.Scalar() == "false") {
    o.enabled = false;  // an endpoint's way out of the top-level section
    return o;
  }
  if (!node.IsMap()) {
    w.Fail(node,
           "cors: expected a mapping with origins (and methods, headers, expose_headers, "
           "max_age, credentials), or false");
  }
  w.Map(node, "cors",
        {"origins", "methods", "headers", "expose_headers", "max_age", "credentials"});
  const YAML::Node origins = node["origins"];
  if (!origins) w.Fail(node, "cors: needs 'origins' (a list of scheme://host[:port], or \"*\")");
  if (!origins.IsSequence() && !origins.IsScalar()) {
    w.Fail(origins, "cors.origins: expected a list of origins");
  }
  auto add_origin = [&](const YAML::Node& n) {
    const std::string text = w.Scalar(n, "cors.origins");
    if (text == "*") {
      o.origins.push_back(text);
      return;
    }
    Result<std::string> origin = api::NormalizeOrigin(text);
    if (!origin.ok()) w.Fail(n, "cors.origins: " + std::string(origin.status().message()));
    o.origins.push_back(*std::move(origin));
  };
  if (origins.IsScalar()) {
    add_origin(origins);
  } else {
    for (const auto& n : origins) add_origin(n);
  }
  if (auto n = node["methods"]) {
    o.methods = w.Strings(n, "cors.methods");
    for (std::string& m : o.methods) {
      for (char& c : m) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
  }
  if (auto n = node["headers"]) o.headers = w.Strings(n, "cors.headers");
  if (auto n = node["expose_headers"]) o.expose_headers = w.Strings(n, "cors.expose_headers");
  if (auto n = node["max_age"]) o.max_age = w.Dur(n, "cors.max_age", /*allow_zero=*/true);
  if (auto n = node["credentials"]) o.credentials = w.Bool(n, "cors.credentials");
  if (Status s = api::CheckCorsOptions(o); !s.ok()) w.Fail(node, s.message());
  return o;
}

}  // namespace shoal::cli::config_internal
