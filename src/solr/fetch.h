// Fetch: a verified copy of a Solr core's latest index (`shoal solr-fetch`), through the
// replication API: the latest commit's generation (`command=indexversion`), its files
// (`command=filelist`), each file's bytes (`command=filecontent&wt=filestream&checksum=true`).
//
// Files download in parallel (`parallel` workers, each with its own keep-alive connection),
// each to NAME.part and renamed to NAME once whole and verified: its size as listed, the
// Adler-32 of every packet (filestream.h), and its Lucene footer's CRC-32 against the bytes
// and against the filelist's checksum (lucene_footer.h). A file that fails verification is
// fetched again from its start, once. The manifest (kManifestName: generation, version, files
// with sizes and checksums) is written last, through a temporary name, and removed first when a
// copy starts over an earlier one: a directory with a manifest holds a complete copy.
//
// Resume (`resume`): a file already in place with its size and a good footer is kept; a
// NAME.part continues from its length (`offset=`). Without `resume` the directory must be
// empty or absent. Files of an earlier generation that the new one does not list are removed
// (Lucene never rewrites a file under the same name, so those are obsolete).
//
// When the index moves on during the copy: Solr keeps a generation being copied for its
// `commitReserveDuration` after each request and then may release it; a file request for a
// released generation answers without the file. By default the copy finishes the generation
// it started while Solr still serves it, and reports the newer one (latest_generation). When
// Solr no longer has it, or with `restart_on_new_generation`, the copy starts again on the
// newest generation, keeping every file already copied that it lists too; at most
// max_restarts times (then failure kMoving).
//
// Ownership: Fetch owns its clients and threads for the call. Thread-safety: Fetch may run
// concurrently with itself on different directories; on_progress and on_notice are called on
// the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "solr/http_client.h"

namespace shoal::solr {

inline constexpr char kManifestName[] = "shoal-solr-manifest.json";

struct FetchProgress {
  uint64_t bytes_done = 0;  // copied this run, or found in place and verified
  uint64_t bytes_total = 0;
  size_t files_done = 0;
  size_t files_total = 0;
  double seconds = 0;
};

struct FetchOptions {
  SolrUrl url;
  std::string core;
  std::string out;  // the target directory
  ClientOptions client;
  int parallel = 4;
  bool resume = false;
  bool conf = false;  // also the core's configuration files, into out/conf/
  bool restart_on_new_generation = false;
  int max_restarts = 3;
  Duration progress_every = std::chrono::milliseconds(200);
  std::function<void(const FetchProgress&)> on_progress;  // may be empty
  std::function<void(const std::string&)> on_notice;      // a line worth saying; may be empty
};

enum class FetchFailure {
  kNone,
  kUsage,   // the options: a directory that is not empty without resume, ...
  kSolr,    // Solr unreachable, not Solr, no such core, credentials refused, an error answer
  kVerify,  // a file failed verification twice
  kDisk,    // writing the copy failed (no space, permissions)
  kMoving,  // the index moved on more than max_restarts times during the copy
};

struct FetchReport {
  Status status;  // ok, or why the copy failed (then `failure` says what kind)
  FetchFailure failure = FetchFailure::kNone;
  int64_t generation = 0;         // the generation copied
  int64_t version = 0;            // its indexversion
  int64_t latest_generation = 0;  // the newest Solr reported at the end
  size_t files = 0;               // files of the copy
  size_t files_fetched = 0;       // downloaded this run (the rest were in place)
  size_t files_refetched = 0;     // fetched again after a failed verification
  uint64_t bytes = 0;             // the copy's size
  uint64_t bytes_fetched = 0;     // downloaded this run
  int restarts = 0;
  double seconds = 0;
};

FetchReport Fetch(const FetchOptions& options);

}  // namespace shoal::solr
