// `shoal stats URL [--interval 1s] [--once] [--json]`: GET URL/_shoal/stats (stats_document.h)
// and print it as a table, like varnishstat: requests/s, hit ratio, p50/p99 over the last 10 s
// and minute, overall and per endpoint, per peer, per Cassandra node; again every interval.
// On a terminal each table replaces the last (ANSI clear and home); otherwise the tables follow
// one another. --once prints one and exits; --json prints the document itself instead.
//
// The HTTP client is http_call.h's small blocking one: http:// only, every wait bounded by a
// deadline.
// Thread-safety: a blocking call, from the main thread; RenderStatsTable is pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shoal::cli {

// StatsCommand runs `shoal stats` with its arguments (after the word "stats"); returns 0, 1
// when the node cannot be read (unreachable, not 200, not a stats document), 2 for a usage
// error.
int StatsCommand(const std::vector<std::string>& args);

// FetchStats GETs `url` (http://HOST:PORT, with /_shoal/stats added when the URL has no
// path) and returns the body of a 200 answer. Unavailable for a connection that fails or
// times out; NotFound for another status (message names it); InvalidArgument for a bad URL.
Result<std::string> FetchStats(std::string_view url);

// RenderStatsTable renders a /_shoal/stats document as the command's table; InvalidArgument
// when `json` is not such a document.
Result<std::string> RenderStatsTable(std::string_view json);

}  // namespace shoal::cli
