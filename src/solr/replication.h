// The JSON answers of Solr's replication handler (`/solr/CORE/replication`), read into values:
// `command=indexversion` (the latest commit's version and generation) and `command=filelist`
// (the files of one commit, with their sizes and the CRC-32 their Lucene footers record).
//
// A file name comes from the server and becomes a path on this machine, so only a plain name
// is accepted (no '/', no "." or "..", no NUL or control byte, at most 255 bytes): a server that
// lists "../x" gets an error, never a write outside the target directory.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::solr {

struct IndexVersion {
  int64_t version = 0;     // the commit's time (epoch ms); 0 for an empty new core
  int64_t generation = 0;  // N of its segments_N
};

struct IndexFile {
  std::string name;
  int64_t size = 0;
  int64_t checksum = -1;  // the footer's CRC-32 as Solr lists it; -1 when not listed
};

struct FileList {
  std::vector<IndexFile> files;       // the commit's index files, segments_N among them
  std::vector<IndexFile> conf_files;  // the core's configuration files, when Solr lists them
};

// ParseIndexVersion reads a `command=indexversion&wt=json` answer. Unavailable when the body is
// not such an answer (the message quotes its start), or Solr reports an error.
Result<IndexVersion> ParseIndexVersion(std::string_view json);

// ParseFileList reads a `command=filelist&generation=G&wt=json` answer. NotFound when Solr no
// longer has the generation ("invalid index generation": the index moved on and released it);
// Unavailable for another error or a body that is not such an answer, or a file entry without a
// safe name or a size.
Result<FileList> ParseFileList(std::string_view json);

// IsPlainFileName: what a listed name must be to become a file in the target directory.
bool IsPlainFileName(std::string_view name);

}  // namespace shoal::solr
