// The auth sections of the config: the top level's `auth:` (every endpoint) and an endpoint's
// own, which replaces it (`auth: none` opens that endpoint). See api/auth_options.h.
//
//   auth: {api_keys_file: keys.txt}
//   auth: {jwt: {jwks_file: jwks.json, issuer: https://id.example, audience: [shoal], leeway: 30s}}
//   auth: {jwt: {hs256_secret_env: SHOAL_JWT_SECRET}}
//
// The files are read (and checked) when the Router is built, at start and at each reload.
#include "cli/config_internal.h"

namespace shoal::cli::config_internal {
namespace {

void ParseJwt(const Walker& w, const YAML::Node& node, const std::string& where,
              api::JwtOptions* o) {
  w.Map(node, where, {"jwks_file", "hs256_secret_env", "issuer", "audience", "leeway"});
  const bool jwks = static_cast<bool>(node["jwks_file"]);
  const bool secret = static_cast<bool>(node["hs256_secret_env"]);
  if (jwks == secret) {
    w.Fail(node, where + ": give exactly one of jwks_file (public keys) and hs256_secret_env");
  }
  if (jwks) o->jwks_file = ConfigPath(w, w.Scalar(node["jwks_file"], where + ".jwks_file"));
  if (secret) {
    // Only through the environment (hs256_secret is not a known key): the file holds none.
    bool inline_secret = false;
    o->hs256_secret = w.Secret(node, where, "hs256_secret", "it signs the tokens", &inline_secret);
    if (o->hs256_secret.size() < 32) {
      w.Fail(node["hs256_secret_env"],
             where + ".hs256_secret_env: an HS256 secret must be at least 32 bytes");
    }
  }
  if (auto n = node["issuer"]) o->issuer = w.Scalar(n, where + ".issuer");
  if (auto n = node["audience"]) o->audience = w.Strings(n, where + ".audience");
  if (auto n = node["leeway"]) o->leeway = w.Dur(n, where + ".leeway", /*allow_zero=*/true);
  if (o->leeway > std::chrono::minutes(10)) {
    w.Fail(node["leeway"], where + ".leeway: at most 10m");
  }
}

}  // namespace

api::AuthOptions ParseAuth(const Walker& w, const YAML::Node& node, std::string_view where) {
  api::AuthOptions o;
  o.line = w.Line(node);
  const std::string at(where);
  if (node.IsScalar()) {
    if (node.Scalar() != "none") {
      w.Fail(node, at + ": expected none or a mapping with api_keys_file or jwt");
    }
    return o;  // Kind::kNone
  }
  w.Map(node, at, {"api_keys_file", "jwt"});
  const bool keys = static_cast<bool>(node["api_keys_file"]);
  const bool jwt = static_cast<bool>(node["jwt"]);
  if (keys == jwt) w.Fail(node, at + ": give exactly one of api_keys_file and jwt");
  if (keys) {
    o.kind = api::AuthOptions::Kind::kApiKeys;
    o.api_keys_file = ConfigPath(w, w.Scalar(node["api_keys_file"], at + ".api_keys_file"));
  } else {
    o.kind = api::AuthOptions::Kind::kJwt;
    ParseJwt(w, node["jwt"], at + ".jwt", &o.jwt);
  }
  return o;
}

}  // namespace shoal::cli::config_internal
