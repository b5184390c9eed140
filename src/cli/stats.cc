// `shoal stats`: see stats.h.
#include "cli/stats.h"

#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <thread>
#include <utility>

#include <rapidjson/document.h>
#include <unistd.h>

#include "cli/config.h"
#include "cli/http_call.h"
#include "cli/progress_text.h"

namespace shoal::cli {
namespace {

constexpr char kStatsUsage[] =
    "usage: shoal stats URL [--interval DURATION] [--once] [--json]\n"
    "\n"
    "Show a node's /_shoal/stats as a table that refreshes (like varnishstat): requests/s,\n"
    "hit ratio, p50/p99 over the last 10 s (and minute), per endpoint, peer and Cassandra node.\n"
    "URL is the node's address where /_shoal/metrics is served (the admin listener when\n"
    "admin.listen is set), e.g. http://127.0.0.1:8080.\n"
    "\n"
    "options:\n"
    "  --interval D   time between refreshes (default: 1s; ms, s, m)\n"
    "  --once         print one table and exit\n"
    "  --json         print the JSON document instead of the table\n"
    "  -h, --help     this text\n";

constexpr auto kTimeout = std::chrono::seconds(3);

using Value = rapidjson::Value;

// Num reads a number member (0 when absent or not a number); Text a string one.
double Num(const Value& o, const char* key) {
  if (!o.IsObject()) return 0;
  const auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0;
}
uint64_t Int(const Value& o, const char* key) {
  const double v = Num(o, key);
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}
std::string Text(const Value& o, const char* key) {
  if (!o.IsObject()) return "";
  const auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}
bool Flag(const Value& o, const char* key) {
  if (!o.IsObject()) return false;
  const auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}
const Value& Member(const Value& o, const char* key) {
  static const Value kNull;
  if (!o.IsObject()) return kNull;
  const auto it = o.FindMember(key);
  return it != o.MemberEnd() ? it->value : kNull;
}

// Cell formats a nullable number member with two decimals ("-" for null); `percent`: x100
// with one decimal and a % sign.
std::string Cell(const Value& o, const char* key, bool percent = false) {
  const Value& v = Member(o, key);
  if (!v.IsNumber()) return "-";
  char buf[32];
  if (percent) {
    std::snprintf(buf, sizeof(buf), "%.1f%%", v.GetDouble() * 100);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", v.GetDouble());
  }
  return buf;
}

// RateCells is "req/s hit% p50 p99" of a RATE object.
std::string RateCells(const Value& rate) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%9s %7s %8s %8s", Cell(rate, "requests_per_s").c_str(),
                Cell(rate, "hit_ratio", true).c_str(), Cell(rate, "p50_ms").c_str(),
                Cell(rate, "p99_ms").c_str());
  return buf;
}

__attribute__((format(printf, 2, 3))) void Line(std::string& out, const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  out += buf;
  out += '\n';
}

}  // namespace

Result<std::string> FetchStats(std::string_view url) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  std::string path = parsed->path;
  if (path.empty() || path == "/") path = "/_shoal/stats";
  HttpRequest request;
  request.target = path;
  Result<HttpAnswer> answer = HttpCall(parsed->host, request, kTimeout);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) {
    return Status::NotFound(std::string(url) + " answered " + std::to_string(answer->status) +
                            " (is it a shoal node's address where /_shoal/metrics is served?)");
  }
  return std::move(answer->body);
}

Result<std::string> RenderStatsTable(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !Member(doc, "totals").IsObject() ||
      !Member(doc, "rates").IsObject() || !Member(doc, "endpoints").IsArray()) {
    return Status::InvalidArgument("the answer is not a /_shoal/stats document");
  }
  std::string out;
  const uint64_t up = Int(doc, "uptime_seconds");
  const std::string self = Text(doc, "self");
  Line(out, "shoal %s  up %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s  %s",
       self.empty() ? "(single node)" : self.c_str(), up / 3600, up / 60 % 60, up % 60,
       Text(doc, "time").c_str());
  const Value& totals = Member(doc, "totals");
  Line(out,
       "totals  requests %" PRIu64 "  hits %" PRIu64 "  stale %" PRIu64 "  misses %" PRIu64
       "  peer %" PRIu64 "  4xx %" PRIu64 "  5xx %" PRIu64,
       Int(totals, "requests"), Int(totals, "hits"), Int(totals, "stale"), Int(totals, "misses"),
       Int(totals, "peer"), Int(totals, "errors_4xx"), Int(totals, "errors_5xx"));
  const Value& cache = Member(doc, "cache");
  const Value& proc = Member(doc, "process");
  Line(out, "cache   %s in %" PRIu64 " entries of %s (hot %s), %" PRIu64 " evictions",
       HumanBytes(Num(cache, "bytes")).c_str(), Int(cache, "entries"),
       HumanBytes(Num(cache, "budget_bytes")).c_str(), HumanBytes(Num(cache, "hot_bytes")).c_str(),
       Int(cache, "evictions"));
  Line(out, "process rss %s, cpu %.2f s, %" PRIu64 " open fds",
       HumanBytes(Num(proc, "rss_bytes")).c_str(), Num(proc, "cpu_seconds"), Int(proc, "open_fds"));
  out += '\n';
  Line(out, "%-36s %9s %7s %8s %8s | %9s %7s %8s %8s", "last 10 s | last minute", "req/s", "hit",
       "p50 ms", "p99 ms", "req/s", "hit", "p50 ms", "p99 ms");
  const Value& rates = Member(doc, "rates");
  Line(out, "%-36s %s | %s", "all endpoints", RateCells(Member(rates, "10s")).c_str(),
       RateCells(Member(rates, "1m")).c_str());
  for (const Value& e : Member(doc, "endpoints").GetArray()) {
    const Value& r = Member(e, "rates");
    Line(out, "%-36s %s | %s", Text(e, "route").c_str(), RateCells(Member(r, "10s")).c_str(),
         RateCells(Member(r, "1m")).c_str());
  }
  out += '\n';
  Line(out, "%-36s %10s %9s %9s %9s %9s %9s", "endpoint", "requests", "hits", "stale", "misses",
       "peer", "errors");
  for (const Value& e : Member(doc, "endpoints").GetArray()) {
    Line(out, "%-36s %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64,
         Text(e, "route").c_str(), Int(e, "requests"), Int(e, "hits"), Int(e, "stale"),
         Int(e, "misses"), Int(e, "peer"), Int(e, "errors"));
  }
  const Value& peers = Member(doc, "peers");
  if (peers.IsArray() && !peers.Empty()) {
    out += '\n';
    Line(out, "%-28s %-8s %6s %10s %8s %8s", "peer", "state", "share", "gets", "errors", "p99 ms");
    for (const Value& p : peers.GetArray()) {
      const std::string name = Text(p, "address") + (Flag(p, "self") ? " (self)" : "");
      Line(out, "%-28s %-8s %5.1f%% %10" PRIu64 " %8" PRIu64 " %8s", name.c_str(),
           Text(p, "state").c_str(), Num(p, "share") * 100, Int(p, "gets"), Int(p, "errors"),
           Cell(p, "p99_ms").c_str());
    }
  }
  const Value& nodes = Member(doc, "cassandra");
  if (nodes.IsArray() && !nodes.Empty()) {
    out += '\n';
    Line(out, "%-24s %-10s %-8s %9s %10s %8s %9s %8s", "cassandra node", "dc", "state", "in flight",
         "requests", "errors", "timeouts", "p99 ms");
    for (const Value& n : nodes.GetArray()) {
      const char* state = !Flag(n, "up") ? "down" : Flag(n, "suspect") ? "suspect" : "up";
      Line(out, "%-24s %-10s %-8s %9" PRIu64 " %10" PRIu64 " %8" PRIu64 " %9" PRIu64 " %8s",
           Text(n, "node").c_str(), Text(n, "dc").c_str(), state, Int(n, "in_flight"),
           Int(n, "requests"), Int(n, "errors"), Int(n, "timeouts"), Cell(n, "p99_ms").c_str());
    }
  }
  return out;
}

int StatsCommand(const std::vector<std::string>& args) {
  std::string url;
  Duration interval = std::chrono::seconds(1);
  bool once = false, json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kStatsUsage, stdout);
      return 0;
    }
    if (a == "--once") {
      once = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--interval" && i + 1 < args.size()) {
      Result<Duration> d = ParseDuration(args[++i]);
      if (!d.ok() || *d <= Duration::zero()) {
        std::fprintf(stderr,
                     "shoal stats: --interval: '%s' is not a duration such as 1s or 500ms\n",
                     args[i].c_str());
        return 2;
      }
      interval = *d;
    } else if (!a.starts_with("-") && url.empty()) {
      url = a;
    } else {
      std::fprintf(stderr, "shoal stats: unexpected argument '%s'\n\n%s", a.c_str(), kStatsUsage);
      return 2;
    }
  }
  if (url.empty()) {
    std::fprintf(stderr, "shoal stats: a URL is required\n\n%s", kStatsUsage);
    return 2;
  }
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  while (true) {
    Result<std::string> body = FetchStats(url);
    if (!body.ok()) {
      std::fprintf(stderr, "shoal stats: %s\n", std::string(body.status().message()).c_str());
      return body.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    Result<std::string> table = RenderStatsTable(*body);
    if (!table.ok()) {
      std::fprintf(stderr, "shoal stats: %s answered something else than a stats document: %s\n",
                   url.c_str(), std::string(table.status().message()).c_str());
      return 1;
    }
    if (terminal && !once) std::fputs("\x1b[H\x1b[2J", stdout);
    if (json) {
      std::fputs(body->c_str(), stdout);
      std::fputc('\n', stdout);
    } else {
      std::fputs(table->c_str(), stdout);
      if (!terminal && !once) std::fputc('\n', stdout);
    }
    std::fflush(stdout);
    if (once) return 0;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace shoal::cli
