// PurgeSender: `shoal load --purge URL --purge-tag T`: the tags of the rows a load committed
// (ingest/row_tags.h: CommittedTags) sent to a shoal node as batched tag purges,
//   POST /_shoal/purge  {"tags": ["item:5", ...], "soft": true}
// with `Authorization: Bearer TOKEN` (the admin token, which never reaches a log or a message).
//
// A batch holds at most `max_tags` (1,000, what the server takes) distinct tags and at most
// `max_bytes` of body (the admin listener refuses bodies over 64 KiB). Tags wait in the
// CommittedTags until a whole batch is there (SendFull, called from the load's progress
// callback on the main thread) or the load ends (Flush), so memory stays bounded by what the
// writer commits at once plus one batch, and the load reads no further while a batch is sent.
// A tag is deduplicated while it waits, not across batches: a row committed after a batch went
// out must be purged again.
//
// A batch that fails (cannot connect, times out, a 5xx such as 502 when a node did not
// confirm) is tried again after a Backoff delay, `attempts` times in all; a 4xx (a wrong token,
// a body the node refuses) is not retried. After a batch fails for good the sender stops: the
// tags still to come are counted as not purged and dropped, and failure() says why. The rows
// stay loaded whatever happens here.
//
// Thread-safety: one thread (the load's main thread) calls everything; the CommittedTags is
// filled from the writer's threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/http_call.h"
#include "ingest/row_tags.h"

namespace shoal::cli {

struct PurgeOptions {
  HttpUrl url;        // the node (its admin listener when it has one); path "" is /_shoal/purge
  std::string token;  // the admin token; sent as Authorization: Bearer
  bool soft = true;   // mark stale (true) or remove
  size_t max_tags = 1000;
  size_t max_bytes = 60000;
  int attempts = 4;                             // tries per batch
  Duration timeout = std::chrono::seconds(10);  // per try
  Duration backoff_initial = std::chrono::milliseconds(250);
  Duration backoff_max = std::chrono::seconds(4);
};

// PurgeBody is the JSON body of one batch: {"tags":[...],"soft":true|false}.
std::string PurgeBody(const std::vector<std::string>& tags, bool soft);

class PurgeSender {
 public:
  // `tags` must outlive the sender.
  PurgeSender(PurgeOptions options, ingest::CommittedTags* tags);

  // SendFull sends every whole batch that waits.
  void SendFull();
  // Flush sends everything that waits; returns failure().
  Status Flush();

  uint64_t tags_purged() const { return tags_purged_; }
  uint64_t tags_not_purged() const { return tags_not_purged_; }
  // entries_purged sums the nodes' "purged" counts (entries removed or marked stale).
  uint64_t entries_purged() const { return entries_purged_; }
  uint64_t requests() const { return requests_; }
  const Status& failure() const { return failure_; }

 private:
  // SendOne sends one batch of waiting tags (or drops it after a failure).
  void SendOne();
  // Post sends one batch, retrying; Ok or why it failed for good.
  Status Post(const std::vector<std::string>& tags);

  const PurgeOptions options_;
  const std::string target_;
  const std::string auth_header_;
  ingest::CommittedTags* const tags_;
  Backoff backoff_;
  uint64_t tags_purged_ = 0;
  uint64_t tags_not_purged_ = 0;
  uint64_t entries_purged_ = 0;
  uint64_t requests_ = 0;
  Status failure_;
};

}  // namespace shoal::cli
