// `shoal solr-fetch URL --core NAME --out DIR`: a verified copy of a Solr core's latest index
// (solr/fetch.h does the work; this is the command line, the progress display and the summary).
#pragma once

#include <span>
#include <string_view>

namespace shoal::cli {

// Exit statuses of solr-fetch beyond 0 (copied) and 2 (usage), documented in its usage text
// and README.md.
inline constexpr int kFetchExitSolr = 3;    // Solr unreachable, not Solr, no core, refused
inline constexpr int kFetchExitVerify = 4;  // a file failed verification twice
inline constexpr int kFetchExitDisk = 5;    // writing the copy failed (space, permissions)
inline constexpr int kFetchExitMoving = 6;  // the index kept moving during the copy

// SolrFetchCommand runs `shoal solr-fetch` with `args` (after the command's name); returns the
// exit status. Progress and errors go to stderr, the summary (or --json) to stdout.
int SolrFetchCommand(std::span<const std::string_view> args);

}  // namespace shoal::cli
