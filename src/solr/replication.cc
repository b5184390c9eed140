#include "solr/replication.h"

#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "base/log_escape.h"

namespace shoal::solr {
namespace {

using rapidjson::Document;
using rapidjson::Value;

// Quote shows the start of a body that is not what was expected, made safe for a message.
std::string Quote(std::string_view body) {
  constexpr size_t kShown = 120;
  std::string out = EscapeForLog(body.substr(0, kShown));
  if (body.size() > kShown) out += "...";
  return "'" + out + "'";
}

Result<Document> ParseAnswer(std::string_view json, std::string_view what) {
  Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::Unavailable("not a Solr " + std::string(what) + " answer: " + Quote(json));
  }
  const Value& root = doc;  // const: rapidjson's const iterators compare cleanly in C++20
  // An error inside the handler: {"status":"ERROR","message":"..."}.
  if (const auto s = root.FindMember("status"); s != root.MemberEnd() && s->value.IsString() &&
                                                std::string_view(s->value.GetString()) != "OK") {
    const auto m = root.FindMember("message");
    const std::string message = m != root.MemberEnd() && m->value.IsString()
                                    ? EscapeForLog(m->value.GetString())
                                    : std::string("(no message)");
    return Status::Unavailable("Solr's " + std::string(what) + " answered " +
                               EscapeForLog(s->value.GetString()) + ": " + message);
  }
  // An error before the handler: {"error":{"msg":"...","code":400}}.
  if (const auto e = root.FindMember("error"); e != root.MemberEnd() && e->value.IsObject()) {
    const auto m = e->value.FindMember("msg");
    const std::string message = m != e->value.MemberEnd() && m->value.IsString()
                                    ? EscapeForLog(m->value.GetString())
                                    : std::string("(no message)");
    return Status::Unavailable("Solr's " + std::string(what) + " failed: " + message);
  }
  return doc;
}

bool Int64Of(const Value& obj, const char* name, int64_t* out) {
  const auto m = obj.FindMember(name);
  if (m == obj.MemberEnd() || !m->value.IsInt64()) return false;
  *out = m->value.GetInt64();
  return true;
}

Status ReadFiles(const Value& list, std::vector<IndexFile>* out) {
  if (!list.IsArray()) return Status::Unavailable("Solr's filelist: the list is not an array");
  for (const Value& f : list.GetArray()) {
    if (!f.IsObject()) return Status::Unavailable("Solr's filelist: an entry is not an object");
    const auto n = f.FindMember("name");
    if (n == f.MemberEnd() || !n->value.IsString()) {
      return Status::Unavailable("Solr's filelist: an entry has no name");
    }
    const std::string_view name(n->value.GetString(), n->value.GetStringLength());
    if (!IsPlainFileName(name)) {
      return Status::Unavailable("Solr's filelist names '" + EscapeForLog(name) +
                                 "', which is not a plain file name: refused");
    }
    IndexFile file{.name = std::string(name), .size = 0, .checksum = -1};
    if (!Int64Of(f, "size", &file.size) || file.size < 0) {
      return Status::Unavailable("Solr's filelist: " + file.name + " has no size");
    }
    int64_t checksum = -1;
    if (Int64Of(f, "checksum", &checksum) && checksum >= 0 && checksum <= 0xFFFFFFFFLL) {
      file.checksum = checksum;
    }
    out->push_back(std::move(file));
  }
  return Status::Ok();
}

}  // namespace

bool IsPlainFileName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

Result<IndexVersion> ParseIndexVersion(std::string_view json) {
  Result<Document> doc = ParseAnswer(json, "indexversion");
  if (!doc.ok()) return doc.status();
  IndexVersion v;
  const Value& root = *doc;
  if (!Int64Of(root, "indexversion", &v.version) || !Int64Of(root, "generation", &v.generation)) {
    return Status::Unavailable("not a Solr indexversion answer: " + Quote(json));
  }
  return v;
}

Result<FileList> ParseFileList(std::string_view json) {
  Document probe;
  probe.Parse(json.data(), json.size());
  if (const Value& p = probe; !probe.HasParseError() && p.IsObject()) {
    const auto m = p.FindMember("message");
    if (m != p.MemberEnd() && m->value.IsString() &&
        std::string_view(m->value.GetString()) == "invalid index generation") {
      return Status::NotFound("Solr no longer has that index generation");
    }
  }
  Result<Document> doc = ParseAnswer(json, "filelist");
  if (!doc.ok()) return doc.status();
  FileList out;
  const Value& root = *doc;
  const auto files = root.FindMember("filelist");
  if (files == root.MemberEnd()) {
    return Status::Unavailable("not a Solr filelist answer: " + Quote(json));
  }
  if (Status st = ReadFiles(files->value, &out.files); !st.ok()) return st;
  if (const auto conf = root.FindMember("confFiles"); conf != root.MemberEnd()) {
    if (Status st = ReadFiles(conf->value, &out.conf_files); !st.ok()) return st;
  }
  return out;
}

}  // namespace shoal::solr
