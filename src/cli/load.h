// `shoal load`: rows from a JSONL or CSV file upserted into a SQLite or Cassandra table.
//
//   shoal load --to sqlite:PATH | cassandra:HOST[:PORT]/KEYSPACE --table T --from FILE
//              [--format jsonl|csv] [--columns a,b,c] [--concurrency N]
//              [--purge URL --purge-tag TAG... [--purge-hard] [--purge-token-env NAME]]
//
// The work is the ingest layer's (src/ingest/: the sources, the writers, the target and the
// driver); this is the command over it: it parses the arguments, shows progress on stderr
// (a bar redrawn in place on a terminal, a plain line every 2 s otherwise) and prints the
// summary with the first rejected lines and their reasons on stdout.
//
// A record that does not parse, a value that does not fit its column, or a row the database
// refuses is rejected and the load goes on; a target that cannot be opened, or a table or
// column the database does not know, stops it before the first row.
//
// With --purge, the rows' tags (--purge-tag 'item:{id}', ingest/row_tags.h) are purged on a
// shoal node once the rows are committed (load_purge.h: batched, soft unless --purge-hard,
// the admin token from the environment only); a tag naming an unknown column is a usage error
// before the first row. Exit status: 0 every row written (and purged), 1 some rows rejected
// (or the load could not start, its last commit failed, or a purge failed for good: the rows
// stay loaded), 2 a usage error.
//
// Thread-safety: single-threaded (the command runs on main's thread).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shoal::cli {

// FormatProgress renders one progress report: for a terminal "[####----] 45% 12,345 rows
// 8,910 rows/s ETA 0:07", otherwise "load: 12345 rows (8910 rows/s), 45% of FILE". With
// `total_bytes` 0 (unknown size) the percentage and ETA are left out.
std::string FormatProgress(bool terminal, uint64_t rows, double seconds, uint64_t bytes,
                           uint64_t total_bytes, std::string_view file);

// LoadCommand runs `shoal load` with `args` (after the word "load"); returns the exit status.
// The summary goes to stdout, progress and errors to stderr.
int LoadCommand(std::span<const std::string_view> args);

}  // namespace shoal::cli
