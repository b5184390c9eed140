// Admin: purge and the peer list; see admin.h.
#include "api/admin.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "api/json_writer.h"
#include "api/secret.h"
#include "api/status_http.h"

namespace shoal::api {
namespace {

constexpr std::string_view kPurgePath = "/_shoal/purge";
constexpr std::string_view kPeersPath = "/_shoal/peers";
constexpr std::string_view kClusterPath = "/_shoal/cluster";
constexpr std::string_view kReloadPath = "/_shoal/reload";

http::Response Json(int status, std::string_view body) {
  http::Response r;
  r.status = status;
  r.SetBody(Bytes::Copy(body));
  return r;
}

// ParseBody parses a JSON object body into `doc`; the error is a 400's message.
Status ParseBody(std::string_view body, rapidjson::Document* doc) {
  if (body.empty()) return Status::InvalidArgument("expected a JSON object in the body");
  if (body.size() > kMaxAdminBody) {
    return Status::InvalidArgument("body over " + std::to_string(kMaxAdminBody) + " bytes");
  }
  doc->Parse(body.data(), body.size());
  if (doc->HasParseError()) {
    return Status::InvalidArgument(std::string("body is not JSON: ") +
                                   rapidjson::GetParseError_En(doc->GetParseError()) +
                                   " at offset " + std::to_string(doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return Status::InvalidArgument("expected a JSON object in the body");
  return Status::Ok();
}

std::string PeersBody(const Control& control) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("self");
  w.String(control.Self());
  w.Key("peers");
  w.BeginArray();
  for (const PeerView& p : control.Peers()) {
    w.BeginObject();
    w.Key("address");
    w.String(p.address);
    w.Key("self");
    w.Bool(p.self);
    w.Key("up");
    w.Bool(p.up);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace

Result<uint64_t> PurgeLocal(const Router& router, cache::ReadThrough& read_through,
                            PurgeScope scope, std::string_view text, bool soft) {
  if (scope == PurgeScope::kKey) return read_through.Erase(text, soft);
  if (scope == PurgeScope::kTag) {
    std::vector<std::string_view> tags;
    for (size_t at = 0; at <= text.size();) {
      const size_t sp = std::min(text.find(' ', at), text.size());
      if (sp > at) tags.push_back(text.substr(at, sp - at));
      at = sp + 1;
    }
    return read_through.PurgeTags(tags, soft);
  }
  for (size_t i = 0; i < router.endpoint_count(); ++i) {
    // O(1): the endpoint's entries are invalidated where they lie (StoreLoader::GroupOf).
    if (router.endpoint(i).route == text) {
      return read_through.PurgeGroup(router.endpoint(i).group, soft);
    }
  }
  return Status::NotFound("no endpoint has the route '" + std::string(text) + "'");
}

void Control::Reload(std::function<void(ReloadOutcome)> done) {
  ReloadOutcome outcome;
  outcome.status = 404;
  outcome.error = "this node cannot reload its config";
  const std::function<void(ReloadOutcome)> reply = std::move(done);
  reply(std::move(outcome));
}

Admin::Admin(AdminOptions options, std::shared_ptr<const Router> router, Control& control)
    : Admin(std::move(options), MakeLiveServing(std::move(router), ApiOptions{}), control) {}

Admin::Admin(AdminOptions options, std::shared_ptr<LiveServing> serving, Control& control)
    : serving_(std::move(serving)), control_(control), options_(std::move(options)) {}

void Admin::SetToken(std::string token) {
  MutexLock lock(mu_);
  options_.token = std::move(token);
}

bool Admin::Handles(std::string_view path) {
  return path == kPurgePath || path == kPeersPath || path == kClusterPath || path == kReloadPath;
}

void Admin::Handle(const http::Request& request, http::Exchange& exchange) const {
  std::string token;
  {
    MutexLock lock(mu_);
    token = options_.token;
  }
  if (token.empty()) {
    return exchange.Reply(
        http::ErrorResponse(403, "the admin endpoints are off: set admin.token in the config"));
  }
  std::string_view auth = request.HeaderValue("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!auth.starts_with(kBearer) || !SameSecret(auth.substr(kBearer.size()), token)) {
    http::Response r = http::ErrorResponse(401, "a valid bearer token is required");
    r.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return exchange.Reply(std::move(r));
  }
  if (request.path == kPurgePath) return Purge(request, exchange);
  if (request.path == kClusterPath) return Cluster(request, exchange);
  if (request.path == kReloadPath) return Reload(request, exchange);
  return Peers(request, exchange);
}

void Admin::Purge(const http::Request& request, http::Exchange& exchange) const {
  if (request.method != http::Method::kPost) {
    return exchange.Reply(http::MethodNotAllowed("POST"));
  }
  rapidjson::Document doc;
  if (Status s = ParseBody(request.body, &doc); !s.ok()) {
    return exchange.Reply(ErrorResponseFor(s));
  }
  Result<PurgeRequest> purge = ParsePurgeRequest(doc, *serving_->Current()->router);
  if (!purge.ok()) return exchange.Reply(ErrorResponseFor(purge.status()));
  control_.Purge(std::move(purge).value(), [reply = exchange.Defer()](const PurgeOutcome& outcome) {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("purged");
    w.Int(static_cast<int64_t>(outcome.removed));
    w.Key("nodes");
    w.Int(static_cast<int64_t>(outcome.nodes));
    w.Key("failed");
    w.BeginArray();
    for (const auto& f : outcome.failed) w.String(f);
    w.EndArray();
    const int status = outcome.failed.empty() ? 200 : 502;
    if (status != 200) {
      w.Key("error");
      w.String("some nodes did not confirm the purge");
      w.Key("status");
      w.Int(status);
    }
    w.EndObject();
    reply(Json(status, out));
  });
}

void Admin::Peers(const http::Request& request, http::Exchange& exchange) const {
  if (!control_.Clustered()) {
    return exchange.Reply(http::ErrorResponse(404, "this node is not in a cluster"));
  }
  if (request.method == http::Method::kGet) return exchange.Reply(Json(200, PeersBody(control_)));
  if (request.method != http::Method::kPut) {
    return exchange.Reply(http::MethodNotAllowed("GET, PUT"));
  }
  if (const ClusterInfo info = control_.Cluster();
      info.source == "peers_file" || info.source == "peers_dns") {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("error");
    w.String("the peer list comes from " + info.source + " " + info.source_name +
             "; change it there");
    w.Key("status");
    w.Int(409);
    w.Key("source");
    WriteListSource(w, info);
    w.EndObject();
    return exchange.Reply(Json(409, out));
  }
  rapidjson::Document doc;
  if (Status s = ParseBody(request.body, &doc); !s.ok()) {
    return exchange.Reply(ErrorResponseFor(s));
  }
  if (!doc.HasMember("peers") || !doc["peers"].IsArray() || doc.MemberCount() != 1) {
    return exchange.Reply(http::ErrorResponse(400, "expected {\"peers\": [\"host:port\", ...]}"));
  }
  std::vector<std::string> peers;
  for (const rapidjson::Value& p : doc["peers"].GetArray()) {
    if (!p.IsString()) {
      return exchange.Reply(http::ErrorResponse(400, "peers: expected strings \"host:port\""));
    }
    peers.emplace_back(p.GetString(), p.GetStringLength());
  }
  if (Status s = control_.SetPeers(std::move(peers)); !s.ok()) {
    return exchange.Reply(http::ErrorResponse(400, "peers: " + std::string(s.message())));
  }
  return exchange.Reply(Json(200, PeersBody(control_)));
}

void Admin::Cluster(const http::Request& request, http::Exchange& exchange) const {
  if (!control_.Clustered()) {
    return exchange.Reply(http::ErrorResponse(404, "this node is not in a cluster"));
  }
  if (request.method != http::Method::kGet) return exchange.Reply(http::MethodNotAllowed("GET"));
  return exchange.Reply(Json(200, ClusterBody(control_.Cluster())));
}

void Admin::Reload(const http::Request& request, http::Exchange& exchange) const {
  if (request.method != http::Method::kPost) {
    return exchange.Reply(http::MethodNotAllowed("POST"));
  }
  control_.Reload([reply = exchange.Defer()](const ReloadOutcome& outcome) {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("reloaded");
    w.Bool(outcome.reloaded);
    if (outcome.reloaded) {
      w.Key("changed");
      w.BeginArray();
      for (const auto& c : outcome.changed) w.String(c);
      w.EndArray();
    } else {
      w.Key("error");
      w.String(outcome.error);
      w.Key("status");
      w.Int(outcome.status);
    }
    w.Key("restart_needed");
    w.BeginArray();
    for (const auto& r : outcome.restart_needed) w.String(r);
    w.EndArray();
    w.EndObject();
    reply(Json(outcome.reloaded ? 200 : outcome.status, out));
  });
}

}  // namespace shoal::api
