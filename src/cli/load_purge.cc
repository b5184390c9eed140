// PurgeSender: see load_purge.h.
#include "cli/load_purge.h"

#include <thread>
#include <utility>

#include <rapidjson/document.h>

#include "base/json.h"

namespace shoal::cli {
namespace {

// kPerTag is a tag's bytes in the body besides its own: two quotes and a comma.
constexpr size_t kPerTag = 3;

// Purged reads "purged" from a purge answer; 0 when the body is not one.
uint64_t Purged(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return 0;
  const auto it = std::as_const(doc).FindMember("purged");
  return it != std::as_const(doc).MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

// Reason is an answer's "error" text, if its body has one, for the failure message.
std::string Reason(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  const auto it = std::as_const(doc).FindMember("error");
  if (it == std::as_const(doc).MemberEnd() || !it->value.IsString()) return "";
  return std::string(": ") + it->value.GetString();
}

}  // namespace

std::string PurgeBody(const std::vector<std::string>& tags, bool soft) {
  std::string out = "{\"tags\":[";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, tags[i]);
  }
  out += soft ? "],\"soft\":true}" : "],\"soft\":false}";
  return out;
}

PurgeSender::PurgeSender(PurgeOptions options, ingest::CommittedTags* tags)
    : options_(std::move(options)),
      target_(options_.url.path.empty() || options_.url.path == "/" ? "/_shoal/purge"
                                                                    : options_.url.path),
      auth_header_("Authorization: Bearer " + options_.token + "\r\n"),
      tags_(tags),
      backoff_(options_.backoff_initial, options_.backoff_max) {}

void PurgeSender::SendFull() {
  while (tags_->Full(options_.max_tags, options_.max_bytes, kPerTag)) SendOne();
}

Status PurgeSender::Flush() {
  while (tags_->size() > 0) SendOne();
  return failure_;
}

void PurgeSender::SendOne() {
  const std::vector<std::string> batch =
      tags_->Take(options_.max_tags, options_.max_bytes, kPerTag);
  if (!failure_.ok()) {
    tags_not_purged_ += batch.size();
    return;
  }
  if (Status s = Post(batch); !s.ok()) {
    failure_ = std::move(s);
    tags_not_purged_ += batch.size();
    return;
  }
  tags_purged_ += batch.size();
}

Status PurgeSender::Post(const std::vector<std::string>& tags) {
  const std::string body = PurgeBody(tags, options_.soft);
  HttpRequest request;
  request.method = "POST";
  request.target = target_;
  request.extra_headers = auth_header_;
  request.body = body;
  const std::string where = options_.url.host.ToString() + target_;
  Status last;
  backoff_.Reset();
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(backoff_.Next());
    ++requests_;
    Result<HttpAnswer> answer = HttpCall(options_.url.host, request, options_.timeout);
    if (!answer.ok()) {
      last = Status::Unavailable(std::string(answer.status().message()));
      continue;
    }
    if (answer->status >= 200 && answer->status < 300) {
      entries_purged_ += Purged(answer->body);
      return Status::Ok();
    }
    last = Status::Unavailable(where + " answered " + std::to_string(answer->status) +
                               Reason(answer->body));
    // A refusal (wrong token, a body the node will not take) will not change on a retry.
    if (answer->status >= 400 && answer->status < 500 && answer->status != 408 &&
        answer->status != 429) {
      return Status::InvalidArgument(std::string(last.message()));
    }
  }
  return Status::Unavailable(std::string(last.message()) + " (tried " +
                             std::to_string(options_.attempts) + " times)");
}

}  // namespace shoal::cli
