// `shoal solr-fetch`: see solr_fetch.h.
#include "cli/solr_fetch.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include <unistd.h>

#include "base/json.h"
#include "base/numbers.h"
#include "cli/command_line.h"
#include "cli/progress_text.h"
#include "solr/fetch.h"

namespace shoal::cli {
namespace {

constexpr char kUsage[] =
    "usage: shoal solr-fetch URL --core NAME --out DIR [options]\n"
    "\n"
    "Copy the latest commit of a Solr core's index into DIR through Solr's replication API\n"
    "(its /replication handler must be enabled), verifying every file: its size, each\n"
    "packet's Adler-32 and the CRC-32 of its Lucene footer. Files are fetched in parallel,\n"
    "each to NAME.part and renamed once verified; the manifest (shoal-solr-manifest.json:\n"
    "generation, version, files, sizes, checksums) is written last, so a directory with a\n"
    "manifest holds a complete copy. URL is Solr's base, e.g. http://127.0.0.1:8983/solr.\n"
    "\n"
    "options:\n"
    "  --core NAME          the core (required)\n"
    "  --out DIR            where the copy goes (required; created; must be empty unless\n"
    "                       --resume)\n"
    "  --parallel N         files fetched at once, each on its own connection (default 4)\n"
    "  --resume             keep the files already in DIR that verify, continue NAME.part\n"
    "                       files from where they stopped, remove files the new copy does not\n"
    "                       list: finishes an interrupted copy, or updates an older one\n"
    "  --conf               also copy the core's configuration files (into DIR/conf)\n"
    "  --restart-on-new-generation  when the index moves on during the copy, start again on\n"
    "                       the newest generation (default: finish the one begun while Solr\n"
    "                       keeps it, and say that a newer one exists)\n"
    "  --user NAME          HTTP basic authentication; the password is read from the\n"
    "                       environment variable --password-env names\n"
    "  --password-env VAR   default SHOAL_SOLR_PASSWORD\n"
    "  --cacert FILE        the CA (PEM) that an https URL's certificate must lead to\n"
    "  --timeout SECONDS    for each connect and each wait for bytes (default 30)\n"
    "  --json               print the summary as one JSON object\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 copied; 2 usage; 3 Solr unreachable, not Solr, no such core, credentials\n"
    "refused or an error answer; 4 a file failed verification twice; 5 writing the copy\n"
    "failed (no space, permissions); 6 the index kept moving; 1 anything else.\n";

// Progress: a redrawn line on a terminal (at most every 200 ms), a plain line every 2 s
// otherwise.
class Progress {
 public:
  Progress() : tty_(::isatty(STDERR_FILENO) == 1), last_(std::chrono::steady_clock::now()) {}
  void Show(const solr::FetchProgress& p, bool final = false) {
    const auto now = std::chrono::steady_clock::now();
    if (!final && !tty_ && now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    const double fraction =
        p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                          : 1.0;
    const double rate = p.seconds > 0 ? static_cast<double>(p.bytes_done) / p.seconds : 0;
    std::string line =
        (tty_ ? Bar(fraction)
              : "solr-fetch: " + std::to_string(static_cast<int>(fraction * 100)) + "%") +
        " " + HumanBytes(static_cast<double>(p.bytes_done)) + " of " +
        HumanBytes(static_cast<double>(p.bytes_total)) + ", " + std::to_string(p.files_done) + "/" +
        std::to_string(p.files_total) + " files, " + HumanBytes(rate) + "/s";
    if (fraction > 0 && fraction < 1) {
      line += " ETA " + ClockText(p.seconds / fraction - p.seconds);
    }
    if (tty_) {
      std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  // Say prints a notice on a line of its own.
  void Say(const std::string& text) const {
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r\x1b[K" : "", ("solr-fetch: " + text).c_str());
  }

 private:
  const bool tty_;
  std::chrono::steady_clock::time_point last_;
};

int ExitOf(solr::FetchFailure f) {
  switch (f) {
    case solr::FetchFailure::kNone:
      return 0;
    case solr::FetchFailure::kUsage:
      return kExitUsage;
    case solr::FetchFailure::kSolr:
      return kFetchExitSolr;
    case solr::FetchFailure::kVerify:
      return kFetchExitVerify;
    case solr::FetchFailure::kDisk:
      return kFetchExitDisk;
    case solr::FetchFailure::kMoving:
      return kFetchExitMoving;
  }
  return kExitFailure;
}

std::string JsonSummary(const solr::FetchReport& r, const std::string& out) {
  std::string j = "{\"ok\":";
  j += r.status.ok() ? "true" : "false";
  j += ",\"dir\":";
  AppendJsonString(j, out);
  j += ",\"generation\":" + std::to_string(r.generation) +
       ",\"version\":" + std::to_string(r.version) +
       ",\"latest_generation\":" + std::to_string(r.latest_generation) +
       ",\"files\":" + std::to_string(r.files) +
       ",\"files_fetched\":" + std::to_string(r.files_fetched) +
       ",\"files_refetched\":" + std::to_string(r.files_refetched) +
       ",\"bytes\":" + std::to_string(r.bytes) +
       ",\"bytes_fetched\":" + std::to_string(r.bytes_fetched) +
       ",\"restarts\":" + std::to_string(r.restarts);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", r.seconds);
  j += ",\"seconds\":";
  j += seconds;
  j += ",\"exit\":" + std::to_string(ExitOf(r.failure));
  if (!r.status.ok()) {
    j += ",\"error\":";
    AppendJsonString(j, r.status.message());
  }
  return j + "}\n";
}

}  // namespace

int SolrFetchCommand(std::span<const std::string_view> args) {
  solr::FetchOptions o;
  std::string url, password_env = "SHOAL_SOLR_PASSWORD";
  bool json = false;
  auto value = [&](size_t* i, std::string* out) {
    if (*i + 1 >= args.size()) return false;
    *out = std::string(args[++*i]);
    return !out->empty();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--core" || a == "--out" || a == "--parallel" || a == "--user" ||
               a == "--password-env" || a == "--cacert" || a == "--timeout") {
      if (!value(&i, &v)) {
        return UsageError("solr-fetch", std::string(a) + " needs a value", kUsage);
      }
      if (a == "--core") o.core = v;
      if (a == "--out") o.out = v;
      if (a == "--user") o.client.user = v;
      if (a == "--password-env") password_env = v;
      if (a == "--cacert") o.client.cacert = v;
      if (a == "--parallel" || a == "--timeout") {
        const std::optional<int64_t> parsed_n = ParseInt64(v);
        const int64_t n = parsed_n.value_or(0);
        if (n < 1 || n > (a == "--parallel" ? 64 : 3600)) {
          return UsageError("solr-fetch",
                            std::string(a) + " wants a whole number " +
                                (a == "--parallel" ? "from 1 to 64" : "of seconds, 1 to 3600") +
                                ", not '" + v + "'",
                            kUsage);
        }
        if (a == "--parallel") o.parallel = static_cast<int>(n);
        if (a == "--timeout") o.client.timeout = std::chrono::seconds(n);
      }
    } else if (a == "--resume") {
      o.resume = true;
    } else if (a == "--conf") {
      o.conf = true;
    } else if (a == "--restart-on-new-generation") {
      o.restart_on_new_generation = true;
    } else if (a == "--json") {
      json = true;
    } else if (!a.starts_with("-") && url.empty()) {
      url = std::string(a);
    } else {
      return UsageError("solr-fetch", "unknown argument '" + std::string(a) + "'", kUsage);
    }
  }
  if (url.empty()) return UsageError("solr-fetch", "give Solr's URL", kUsage);
  if (o.core.empty()) return UsageError("solr-fetch", "--core is required", kUsage);
  if (o.out.empty()) return UsageError("solr-fetch", "--out is required", kUsage);
  Result<solr::SolrUrl> parsed = solr::ParseSolrUrl(url);
  if (!parsed.ok()) return UsageError("solr-fetch", parsed.status().message(), kUsage);
  o.url = std::move(*parsed);
  if (!o.client.user.empty()) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts.
    const char* pw = std::getenv(password_env.c_str());
    if (pw == nullptr) {
      return UsageError("solr-fetch",
                        "--user is given but " + password_env + " (the password) is not set",
                        kUsage);
    }
    o.client.password = pw;
  }
  Progress progress;
  o.on_progress = [&](const solr::FetchProgress& p) { progress.Show(p); };
  o.on_notice = [&](const std::string& line) { progress.Say(line); };
  const solr::FetchReport r = solr::Fetch(o);
  if (r.files > 0 && r.status.ok()) {
    progress.Show({.bytes_done = r.bytes,
                   .bytes_total = r.bytes,
                   .files_done = r.files,
                   .files_total = r.files,
                   .seconds = r.seconds},
                  /*final=*/true);
  }
  if (json) {
    std::fputs(JsonSummary(r, o.out).c_str(), stdout);
  } else if (r.status.ok()) {
    std::printf(
        "copied generation %lld of core %s into %s: %zu files, %s (%zu fetched, %s), "
        "in %.1f s\n",
        static_cast<long long>(r.generation), o.core.c_str(), o.out.c_str(), r.files,
        HumanBytes(static_cast<double>(r.bytes)).c_str(), r.files_fetched,
        HumanBytes(static_cast<double>(r.bytes_fetched)).c_str(), r.seconds);
  }
  if (!r.status.ok()) {
    std::fprintf(stderr, "shoal solr-fetch: %s\n", std::string(r.status.message()).c_str());
  }
  return ExitOf(r.failure);
}

}  // namespace shoal::cli
