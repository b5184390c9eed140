// GET /_shoal/cluster's body (admin.h).
#include "api/admin.h"
#include "api/json_writer.h"

namespace shoal::api {
namespace {

void Version(JsonWriter& w, uint64_t epoch, const std::string& origin) {
  w.BeginObject();
  w.Key("epoch");
  w.Int(static_cast<int64_t>(epoch));
  w.Key("origin");
  if (origin.empty()) {
    w.Null();  // the configured list
  } else {
    w.String(origin);
  }
  w.EndObject();
}

}  // namespace

void WriteListSource(JsonWriter& w, const ClusterInfo& info) {
  w.BeginObject();
  w.Key("kind");
  w.String(info.source);
  w.Key("name");
  w.String(info.source_name);
  w.EndObject();
}

std::string ClusterBody(const ClusterInfo& info) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("self");
  w.String(info.self);
  w.Key("member");
  w.Bool(info.member);
  if (!info.member) {
    w.Key("note");
    w.String("this node is not a member of the list; it owns no keys");
  }
  w.Key("source");
  WriteListSource(w, info);
  w.Key("version");
  Version(w, info.epoch, info.origin);
  w.Key("members");
  w.BeginArray();
  for (const MemberInfo& m : info.members) {
    w.BeginObject();
    w.Key("address");
    w.String(m.address);
    w.Key("self");
    w.Bool(m.self);
    w.Key("state");
    w.String(m.state);
    w.Key("share");
    w.Double(m.share);
    w.Key("reported");
    if (m.reported) {
      Version(w, m.reported_epoch, m.reported_origin);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace shoal::api
