// `shoal bench`: the command line of the load generator (src/loadgen), and everything it
// prints: the progress table and the summary on stderr, the JSON report on stdout or to a
// file, the SVG chart. The load itself and the report formats stay in loadgen, which prints
// nothing. Not thread-safe beyond what loadgen::Run promises (the progress callback runs on a
// load thread while this thread waits in Run).
#include "cli/bench.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include "base/host_port.h"
#include "cli/command_line.h"
#include "loadgen/loadgen.h"

namespace shoal::cli {
namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Seconds0 is `d` in whole seconds, rounded, for the chart's title.
std::string Seconds0(Duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", Seconds(d));
  return buf;
}

// ParseDuration reads "90s", "500ms", "2m", or a bare number of seconds.
bool ParseDuration(const std::string& text, Duration* out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return false;
  const std::string unit(end);
  double seconds = 0;
  if (unit.empty() || unit == "s") {
    seconds = v;
  } else if (unit == "ms") {
    seconds = v / 1000;
  } else if (unit == "m") {
    seconds = v * 60;
  } else {
    return false;
  }
  *out = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  return true;
}

constexpr char kUsage[] =
    "usage: shoal bench URL --paths FILE [options]\n"
    "\n"
    "Ramp virtual users against URL (http://HOST:PORT), each a keep-alive connection asking\n"
    "for the paths of FILE in turn, and report every step: users, answers, average, p50, p99\n"
    "and max response time, timeouts and errors.\n"
    "\n"
    "  --paths FILE      request targets, one a line (e.g. bench/out/paths.txt)\n"
    "  --users N         virtual users at the end of the ramp (default 100)\n"
    "  --ramp D          time to start them all, evenly (default 10s)\n"
    "  --hold D          time to keep all of them going after the ramp (default 0s)\n"
    "  --think D         pause between a user's requests (default 0)\n"
    "  --rate R          at most R requests per second in all (default: no limit)\n"
    "  --timeout D       a request unanswered this long is a timeout (default 2s)\n"
    "  --step D          report window (default 5s)\n"
    "  --threads N       client threads (default 1)\n"
    "  --json FILE       write the report as JSON (default: stdout)\n"
    "  --svg FILE        draw response time and answers/s against users\n"
    "\n"
    "Durations: 500ms, 10s, 2m. Exit status: 0 no errors and no timeouts; 1 some; 2 usage.\n";

int UsageError(std::string_view message) { return cli::UsageError("bench", message, kUsage); }

}  // namespace

int BenchCommand(const std::vector<std::string>& args) {
  loadgen::Options o;
  std::string url, paths_file, json_file, svg_file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) != 0) {
      if (!url.empty()) return UsageError("one URL only");
      url = a;
      continue;
    }
    if (i + 1 >= args.size()) return UsageError(a + " needs a value");
    const std::string& v = args[++i];
    Duration d{};
    if (a == "--paths") {
      paths_file = v;
    } else if (a == "--json") {
      json_file = v;
    } else if (a == "--svg") {
      svg_file = v;
    } else if (a == "--users" || a == "--threads") {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 100000) return UsageError(a + ": expected 1..100000");
      (a == "--users" ? o.users : o.threads) = static_cast<size_t>(n);
    } else if (a == "--rate") {
      char* end = nullptr;
      o.rate = std::strtod(v.c_str(), &end);
      if (*end != '\0' || o.rate < 0) return UsageError("--rate: expected a number >= 0");
    } else if (a == "--ramp" || a == "--hold" || a == "--think" || a == "--timeout" ||
               a == "--step") {
      if (!ParseDuration(v, &d)) {
        std::string message = a + ": expected a duration like 10s, got ";
        message += v;
        return UsageError(message);
      }
      if (a == "--ramp") o.ramp = d;
      if (a == "--hold") o.hold = d;
      if (a == "--think") o.think = d;
      if (a == "--timeout") o.timeout = d;
      if (a == "--step") o.step = d;
    } else {
      return UsageError("unknown option " + a);
    }
  }
  if (url.rfind("http://", 0) != 0) return UsageError("expected a URL http://HOST:PORT");
  std::string_view hostport = std::string_view(url).substr(7);
  hostport = hostport.substr(0, hostport.find('/'));
  Result<HostPort> address = ParseHostPort(hostport, {.default_port = 80});
  if (!address.ok()) return UsageError(std::string(address.status().message()));
  o.host = address->host;
  o.port = address->port;
  if (paths_file.empty()) return UsageError("--paths FILE is required");
  std::ifstream in(paths_file);
  if (!in) {
    return CommandFailed("bench", "cannot read " + paths_file);
  }
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) o.paths.push_back(line);
  }
  std::fprintf(stderr, "%8s %7s %9s %9s %9s %9s %9s %8s %7s\n", "time s", "users", "hits", "avg ms",
               "p50 ms", "p99 ms", "max ms", "timeouts", "errors");
  Result<loadgen::Report> report = loadgen::Run(o, [](const loadgen::Window& w) {
    std::fprintf(stderr, "%8.1f %7zu %9llu %9.2f %9.2f %9.2f %9.2f %8llu %7llu%s\n", w.end_s,
                 w.users, static_cast<unsigned long long>(w.hits), w.avg_ms, w.p50_ms, w.p99_ms,
                 w.max_ms, static_cast<unsigned long long>(w.timeouts),
                 static_cast<unsigned long long>(w.errors), "");
    std::fflush(stderr);
  });
  if (!report.ok()) {
    return CommandFailed("bench", report.status().message());
  }
  const loadgen::Window& t = report->total;
  std::fprintf(stderr,
               "total: %llu hits in %.1f s, avg %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms, "
               "%llu timeouts, %llu errors%s%s\n",
               static_cast<unsigned long long>(t.hits), t.end_s, t.avg_ms, t.p50_ms, t.p99_ms,
               t.max_ms, static_cast<unsigned long long>(t.timeouts),
               static_cast<unsigned long long>(t.errors),
               t.first_error.empty() ? "" : "; first: ", t.first_error.c_str());
  const std::string json = loadgen::ToJson(o, *report);
  if (json_file.empty()) {
    std::fputs(json.c_str(), stdout);
  } else {
    std::ofstream(json_file) << json;
  }
  if (!svg_file.empty()) {
    std::ofstream(svg_file) << loadgen::ToSvg(
        *report, "shoal bench " + url + ": " + std::to_string(o.users) + " users over " +
                     Seconds0(o.ramp) + " s");
  }
  return t.errors == 0 && t.timeouts == 0 ? 0 : 1;
}

}  // namespace shoal::cli
