// ParsePurgeRequest: see purge_request.h.
#include "api/purge_request.h"

#include <string_view>
#include <utility>

#include "api/tag_template.h"

namespace shoal::api {
namespace {

constexpr std::string_view kShape =
    "expected exactly one of {\"key\": \"/target\"}, {\"endpoint\": \"/route\"}, "
    "{\"tag\": \"T\"} or {\"tags\": [\"T\", ...]}, with an optional \"soft\": true";

std::string_view View(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

Status CheckTag(const rapidjson::Value& v, std::string_view what) {
  if (!v.IsString() || !IsTagText(View(v))) {
    return Status::InvalidArgument(std::string(what) +
                                   ": expected a tag: a string of 1 to 1024 bytes without spaces "
                                   "or control characters");
  }
  return Status::Ok();
}

}  // namespace

Result<PurgeRequest> ParsePurgeRequest(const rapidjson::Value& body, const Router& router) {
  PurgeRequest out;
  size_t targets = 0, others = 0;
  for (const auto& m : body.GetObject()) {
    const std::string_view name = View(m.name);
    if (name == "key" || name == "endpoint" || name == "tag" || name == "tags") {
      ++targets;
    } else if (name != "soft") {
      ++others;
    }
  }
  if (targets != 1 || others != 0) return Status::InvalidArgument(std::string(kShape));
  if (body.HasMember("soft")) {
    if (!body["soft"].IsBool()) return Status::InvalidArgument("soft: expected true or false");
    out.soft = body["soft"].GetBool();
  }
  if (body.HasMember("tag")) {
    if (Status s = CheckTag(body["tag"], "tag"); !s.ok()) return s;
    out.scope = PurgeScope::kTag;
    out.text = std::string(View(body["tag"]));
    return out;
  }
  if (body.HasMember("tags")) {
    const rapidjson::Value& tags = body["tags"];
    if (!tags.IsArray() || tags.Empty() || tags.Size() > kMaxPurgeTags) {
      return Status::InvalidArgument("tags: expected a list of 1 to " +
                                     std::to_string(kMaxPurgeTags) + " tags");
    }
    out.scope = PurgeScope::kTag;
    for (const rapidjson::Value& t : tags.GetArray()) {
      if (Status s = CheckTag(t, "tags"); !s.ok()) return s;
      if (!out.text.empty()) out.text += ' ';
      out.text += View(t);
    }
    return out;
  }
  const bool has_key = body.HasMember("key");
  const rapidjson::Value& v = has_key ? body["key"] : body["endpoint"];
  if (!v.IsString() || v.GetStringLength() == 0) {
    return Status::InvalidArgument(has_key ? "key: expected a request target"
                                           : "endpoint: expected a route");
  }
  const std::string_view text = View(v);
  if (has_key) {
    // Canonicalise as a request would be, so that /v1/items/42?limit=10&x= and the key the
    // cache holds are the same string.
    const size_t q = text.find('?');
    const std::string_view path = text.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : text.substr(q + 1);
    Result<RouteMatch> match = router.Match(path, query, /*bind=*/false);
    if (!match.ok()) return match.status();
    out.scope = PurgeScope::kKey;
    out.text = std::move(match->key);
    return out;
  }
  for (size_t i = 0; i < router.endpoint_count(); ++i) {
    if (router.endpoint(i).route == text) {
      out.scope = PurgeScope::kEndpoint;
      out.text = std::string(text);
      return out;
    }
  }
  return Status::NotFound("no endpoint has the route '" + std::string(text) +
                          "' (give it as configured)");
}

}  // namespace shoal::api
