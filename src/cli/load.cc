// `shoal load`: see load.h. The work is the ingest layer's (src/ingest/); this file parses the
// command line, shows progress and prints the summary.
#include "cli/load.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include <unistd.h>

#include "cli/command_line.h"
#include "cli/load_purge.h"
#include "cli/progress_text.h"
#include "ingest/load.h"
#include "ingest/row_tags.h"
#include "ingest/solr_source.h"
#include "ingest/source.h"
#include "ingest/target.h"

namespace shoal::cli {
namespace {

using Clock = std::chrono::steady_clock;

// ProgressDisplay shows FormatProgress on stderr: redrawn in place at most every 100 ms on a
// terminal, a new line every 2 s otherwise (a log file gets 30 lines a minute, not 10 a
// second), and always once at the end.
class ProgressDisplay {
 public:
  ProgressDisplay(std::string file, uint64_t total_bytes)
      : file_(std::move(file)),
        total_(total_bytes),
        tty_(isatty(STDERR_FILENO) == 1),
        start_(Clock::now()),
        last_(start_) {}

  void Update(uint64_t rows, uint64_t bytes, bool final = false) {
    const auto now = Clock::now();
    const Clock::duration every = tty_ ? Clock::duration(std::chrono::milliseconds(100))
                                       : Clock::duration(std::chrono::seconds(2));
    if (!final && now - last_ < every) return;
    last_ = now;
    const std::string line = FormatProgress(tty_, rows, seconds(), bytes, total_, file_);
    if (tty_) {
      // \r back to the start of the line, ESC [K clears what a longer previous line left.
      std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const std::string file_;
  const uint64_t total_;
  const bool tty_;
  const Clock::time_point start_;
  Clock::time_point last_;
};

// ---------------------------------------------------------------------------------------
// The command.

constexpr char kLoadUsage[] =
    "usage: shoal load --to TARGET --table TABLE --from FILE|solr:URL [options]\n"
    "\n"
    "Upsert the rows of a JSONL or CSV file into a table that exists (running a load again\n"
    "is safe). Rows that do not parse or that the database refuses are rejected and the load\n"
    "goes on; the summary gives the first reasons by line. A store that keeps failing (100\n"
    "rows in a row: a full disk, I/O errors, a lock, a cluster that refuses or does not\n"
    "answer) stops the load.\n"
    "\n"
    "  --to sqlite:PATH                     an existing SQLite file\n"
    "  --to cassandra:HOST[:PORT]/KEYSPACE  a Cassandra cluster (any node; port 9042);\n"
    "                                       credentials from SHOAL_CASSANDRA_USER and\n"
    "                                       SHOAL_CASSANDRA_PASSWORD\n"
    "  --table TABLE        the table, which must exist\n"
    "  --from FILE          one JSON object a line (.jsonl, .ndjson, .json) whose first\n"
    "                       object's keys are the columns, or CSV (.csv) with a header line\n"
    "  --from solr:URL      the documents of a Solr core, paged with cursorMark:\n"
    "                       solr:http://HOST:8983/solr/CORE?q=...&fl=a,b,c (q defaults to\n"
    "                       *:*; fl's fields, or the first page's, are the columns)\n"
    "  --map FIELD=COLUMN   (solr) load Solr's FIELD into COLUMN (repeatable)\n"
    "  --since FIELD=DATE   (solr) only documents whose FIELD is DATE or later\n"
    "  --solr-user NAME     (solr) basic authentication; password in SHOAL_SOLR_PASSWORD\n"
    "  --solr-cacert FILE   (solr) the CA of an https URL\n"
    "  --format jsonl|csv   when the file name does not say\n"
    "  --columns a,b,c      load only these fields (others are ignored)\n"
    "  --concurrency N      Cassandra writes in flight (default 256)\n"
    "  --purge URL          after rows are committed, purge the cache entries they change\n"
    "                       on the shoal node at URL (http://HOST:PORT, its admin listener\n"
    "                       when it has one): POST /_shoal/purge with their --purge-tag tags\n"
    "  --purge-tag TAG      a tag per row, {COLUMN} replaced by the row's value, e.g.\n"
    "                       'item:{id}' (repeatable)\n"
    "  --purge-hard         remove the entries (default: mark them stale, so the next request\n"
    "                       is answered at once while one refresh runs)\n"
    "  --purge-token-env NAME  the variable holding the admin token (default\n"
    "                       SHOAL_ADMIN_TOKEN); never give the token on the command line\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 all rows written (and purged); 1 some rows rejected (the others are\n"
    "written), the load could not start, commit or go on, or a purge failed (the rows stay\n"
    "loaded);\n"
    "2 usage error.\n";

int UsageError(std::string_view message) { return cli::UsageError("load", message, kLoadUsage); }

int Fail(std::string_view message) { return CommandFailed("load", message); }

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// PurgeFlags checks the --purge flags and fills *purge when --purge is given; returns 0 or
// the usage error's exit status. The token is read from the environment only.
int PurgeFlags(const std::string& url, const std::vector<std::string>& tags, bool hard,
               std::string token_env, std::optional<PurgeOptions>* purge) {
  if (url.empty()) {
    if (!tags.empty() || hard || !token_env.empty()) {
      return UsageError("--purge-tag, --purge-hard and --purge-token-env need --purge URL");
    }
    return 0;
  }
  if (tags.empty()) return UsageError("--purge needs at least one --purge-tag");
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return UsageError("--purge: " + std::string(parsed.status().message()));
  if (token_env.empty()) token_env = "SHOAL_ADMIN_TOKEN";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read on main's thread before the load starts.
  const char* token = std::getenv(token_env.c_str());
  if (token == nullptr || *token == '\0') {
    return UsageError("--purge: set the admin token in the environment variable " + token_env +
                      " (or name another with --purge-token-env); it is never taken from the "
                      "command line");
  }
  PurgeOptions o;
  o.url = std::move(parsed).value();
  o.token = token;
  o.soft = !hard;
  *purge = std::move(o);
  return 0;
}

// PurgeSummary ends the summary line: "; 1,234 tags purged (soft, 56 entries, 2 requests)",
// and ", N not purged" when a purge failed.
std::string PurgeSummary(const PurgeSender& p, bool hard) {
  std::string out = "; " + Thousands(p.tags_purged()) + " tags purged (" +
                    (hard ? "removed, " : "soft, ") + Thousands(p.entries_purged()) + " entries, " +
                    Thousands(p.requests()) + " requests)";
  if (p.tags_not_purged() > 0) out += ", " + Thousands(p.tags_not_purged()) + " not purged";
  return out;
}

}  // namespace

std::string FormatProgress(bool terminal, uint64_t rows, double seconds, uint64_t bytes,
                           uint64_t total_bytes, std::string_view file) {
  const auto rate = static_cast<uint64_t>(seconds > 0 ? static_cast<double>(rows) / seconds : 0);
  const bool known = total_bytes > 0;
  const double fraction =
      known ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes)) : 0;
  const int percent = static_cast<int>(fraction * 100);
  if (!terminal) {
    std::string out =
        "load: " + std::to_string(rows) + " rows (" + std::to_string(rate) + " rows/s), ";
    out += known ? std::to_string(percent) + "% of " : "from ";
    return out.append(file);
  }
  std::string out;
  if (known) out = Bar(fraction) + " ";
  out += Thousands(rows) + " rows " + Thousands(rate) + " rows/s";
  if (known) {
    // The time left assumes the rest of the file goes at the average speed so far.
    out += " ETA ";
    out += fraction > 0 ? ClockText(seconds / fraction - seconds) : std::string("-:--");
  }
  return out;
}

int LoadCommand(std::span<const std::string_view> args) {
  std::string to, table, from, format, columns_flag, concurrency_flag;
  std::string purge_url, purge_token_env;
  std::string since, solr_user, solr_cacert;
  std::vector<std::string> purge_tags, maps;
  bool purge_hard = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kLoadUsage, stdout);
      return 0;
    }
    if (a == "--purge-hard") {
      purge_hard = true;
      continue;
    }
    // --flag VALUE or --flag=VALUE, like the other commands.
    std::string_view name = a;
    std::string value;
    if (const size_t eq = a.find('='); a.substr(0, 2) == "--" && eq != a.npos) {
      name = a.substr(0, eq);
      value = std::string(a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = std::string(args[++i]);
    } else {
      return UsageError("unknown or incomplete option '" + std::string(a) + "'");
    }
    std::string* slot = name == "--to"                ? &to
                        : name == "--table"           ? &table
                        : name == "--from"            ? &from
                        : name == "--format"          ? &format
                        : name == "--columns"         ? &columns_flag
                        : name == "--concurrency"     ? &concurrency_flag
                        : name == "--purge"           ? &purge_url
                        : name == "--purge-token-env" ? &purge_token_env
                        : name == "--since"           ? &since
                        : name == "--solr-user"       ? &solr_user
                        : name == "--solr-cacert"     ? &solr_cacert
                                                      : nullptr;
    if (name == "--purge-tag") {  // repeatable
      purge_tags.push_back(std::move(value));
      continue;
    }
    if (name == "--map") {  // repeatable
      maps.push_back(std::move(value));
      continue;
    }
    if (slot == nullptr) return UsageError("unknown option '" + std::string(name) + "'");
    *slot = std::move(value);
  }
  if (to.empty() || table.empty() || from.empty()) {
    return UsageError("--to, --table and --from are required");
  }
  int concurrency = 256;
  if (!concurrency_flag.empty()) {
    char* end = nullptr;
    const long n = std::strtol(concurrency_flag.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 32768) {
      return UsageError("--concurrency: expected 1..32768, got '" + concurrency_flag + "'");
    }
    concurrency = static_cast<int>(n);
  }
  const bool from_solr = from.starts_with("solr:");
  if (!from_solr &&
      (!maps.empty() || !since.empty() || !solr_user.empty() || !solr_cacert.empty())) {
    return UsageError("--map, --since, --solr-user and --solr-cacert are for --from solr:URL");
  }
  if (from_solr) {
    format = "solr";
  } else if (format.empty()) {
    const std::string ext = std::filesystem::path(from).extension().string();
    if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") {
      format = "jsonl";
    } else if (ext == ".csv") {
      format = "csv";
    } else {
      return UsageError("cannot tell the format of '" + from + "': give --format jsonl|csv");
    }
  }
  if (format != "jsonl" && format != "csv" && !from_solr) {
    return UsageError("--format: expected jsonl or csv, got '" + format + "'");
  }
  Result<ingest::Target> target = ingest::ParseTarget(to);
  if (!target.ok()) return UsageError(std::string(target.status().message()));
  if (target->cassandra) target->cassandra->concurrency = concurrency;
  std::optional<PurgeOptions> purge;
  if (int bad = PurgeFlags(purge_url, purge_tags, purge_hard, purge_token_env, &purge); bad != 0) {
    return bad;
  }

  // The source first: a file that cannot be read should not cost a connection.
  Result<std::unique_ptr<ingest::RowSource>> source = Status::Internal("no source");
  if (from_solr) {
    ingest::SolrSourceOptions so;
    so.url = from.substr(5);
    so.client.user = solr_user;
    so.client.cacert = solr_cacert;
    if (!solr_user.empty()) {
      // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts.
      const char* pw = std::getenv("SHOAL_SOLR_PASSWORD");
      if (pw == nullptr)
        return UsageError("--solr-user is given but SHOAL_SOLR_PASSWORD is not set");
      so.client.password = pw;
    }
    for (const std::string& m : maps) {
      const size_t eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
        return UsageError("--map: expected SOLR_FIELD=COLUMN, got '" + m + "'");
      }
      so.map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    if (!since.empty()) {
      const size_t eq = since.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == since.size()) {
        return UsageError(
            "--since: expected FIELD=VALUE (a date, e.g. 2026-01-01T00:00:00Z), got '" + since +
            "'");
      }
      so.since_field = since.substr(0, eq);
      so.since = since.substr(eq + 1);
    }
    if (!columns_flag.empty()) return UsageError("--columns is for files; with solr: use fl=");
    source = ingest::OpenSolrSource(so);
  } else {
    source = ingest::OpenFileSource(
        from, format == "csv" ? ingest::FileFormat::kCsv : ingest::FileFormat::kJsonl,
        SplitCommas(columns_flag));
  }
  if (!source.ok()) return Fail(source.status().message());
  // The tags name columns of the loaded rows: checked before anything is written.
  Result<ingest::TagTemplates> templates =
      ingest::TagTemplates::Parse(purge_tags, (*source)->columns());
  if (!templates.ok()) return UsageError(templates.status().message());
  Result<std::unique_ptr<ingest::RowWriter>> writer = ingest::OpenWriter(*target);
  if (!writer.ok()) return Fail(writer.status().message());
  ingest::CommittedTags committed;
  std::optional<PurgeSender> purger;
  if (purge) {
    *writer = ingest::TagOnCommit(std::move(*writer), std::move(*templates), &committed);
    purger.emplace(std::move(*purge), &committed);
  }

  ProgressDisplay display(from, (*source)->total_bytes());
  Result<ingest::LoadReport> loaded =
      ingest::Load(**source, **writer, table, [&display, &purger](uint64_t rows, uint64_t bytes) {
        display.Update(rows, bytes);
        if (purger) purger->SendFull();  // whole batches of committed rows' tags
      });
  if (!loaded.ok()) return Fail(loaded.status().message());
  // Every row's outcome is in (Finish has run): the last tags go now.
  if (purger) (void)purger->Flush();
  const ingest::LoadReport& report = *loaded;
  display.Update(report.written, (*source)->bytes_read(), /*final=*/true);
  const double seconds = display.seconds();
  std::printf(
      "load: %" PRIu64 " rows written, %" PRIu64 " rejected in %.1f s (%" PRIu64 " rows/s)%s\n",
      report.written, report.rejected, seconds,
      static_cast<uint64_t>(seconds > 0 ? static_cast<double>(report.written) / seconds : 0),
      purger ? PurgeSummary(*purger, purge_hard).c_str() : "");
  for (const ingest::Reject& r : report.first_rejects) {
    std::printf("  line %zu: %s\n", r.line, r.reason.c_str());
  }
  if (report.rejected > report.first_rejects.size()) {
    std::printf("  (and %" PRIu64 " more)\n", report.rejected - report.first_rejects.size());
  }
  std::fflush(stdout);
  if (!report.stopped.ok()) {
    return Fail("the load stopped: " + std::string(report.stopped.message()) + "; " +
                std::to_string(report.written) +
                " rows were written before it (loads are upserts: run it again once the cause "
                "is fixed)");
  }
  if (!report.finish.ok()) return Fail(report.finish.message());
  if (purger && !purger->failure().ok()) {
    return Fail("purge failed: " + std::string(purger->failure().message()) + "; " +
                std::to_string(purger->tags_not_purged()) +
                " tags not purged (the rows are loaded: purge those entries again, or they "
                "refresh at their ttl)");
  }
  return report.rejected > 0 ? 1 : 0;
}

}  // namespace shoal::cli
