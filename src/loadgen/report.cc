// loadgen: the report (JSON, SVG) and the `shoal bench` command line; see loadgen.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "base/json.h"
#include "loadgen/loadgen.h"

namespace shoal::loadgen {
namespace {

std::string Num(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string WindowJson(const Window& w) {
  std::string out =
      "{\"start_s\":" + Num(w.start_s) + ",\"end_s\":" + Num(w.end_s) +
      ",\"users\":" + std::to_string(w.users) + ",\"hits\":" + std::to_string(w.hits) +
      ",\"errors\":" + std::to_string(w.errors) + ",\"timeouts\":" + std::to_string(w.timeouts) +
      ",\"avg_ms\":" + Num(w.avg_ms) + ",\"p50_ms\":" + Num(w.p50_ms) +
      ",\"p99_ms\":" + Num(w.p99_ms) + ",\"max_ms\":" + Num(w.max_ms) + ",\"first_error\":";
  AppendJsonString(out, w.first_error);
  return out + "}";
}

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

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

int UsageError(const std::string& message) {
  std::fprintf(stderr, "shoal bench: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

std::string ToJson(const Options& o, const Report& report) {
  std::string out = "{\"options\":{\"host\":";
  AppendJsonString(out, o.host);
  out += ",\"port\":" + std::to_string(o.port) + ",\"paths\":" + std::to_string(o.paths.size()) +
         ",\"users\":" + std::to_string(o.users) + ",\"ramp_s\":" + Num(Seconds(o.ramp)) +
         ",\"hold_s\":" + Num(Seconds(o.hold)) + ",\"think_s\":" + Num(Seconds(o.think)) +
         ",\"rate\":" + Num(o.rate, 1) + ",\"timeout_s\":" + Num(Seconds(o.timeout)) +
         ",\"step_s\":" + Num(Seconds(o.step)) + "},\"steps\":[";
  for (size_t i = 0; i < report.steps.size(); ++i) {
    if (i > 0) out += ",";
    out += WindowJson(report.steps[i]);
  }
  return out + "],\"total\":" + WindowJson(report.total) + "}\n";
}

std::string ToSvg(const Report& report, const std::string& title) {
  constexpr double kW = 800, kH = 420, kLeft = 70, kRight = 70, kTop = 40, kBottom = 50;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  double max_users = 1, max_ms = 0.001, max_rate = 1;
  for (const Window& w : report.steps) {
    max_users = std::max(max_users, static_cast<double>(w.users));
    max_ms = std::max(max_ms, w.p99_ms);
    const double span = std::max(w.end_s - w.start_s, 1e-9);
    max_rate = std::max(max_rate, static_cast<double>(w.hits) / span);
  }
  const auto x = [&](double users) { return kLeft + plot_w * users / max_users; };
  const auto y_ms = [&](double ms) { return kTop + plot_h * (1 - ms / (max_ms * 1.1)); };
  const auto y_rate = [&](double r) { return kTop + plot_h * (1 - r / (max_rate * 1.1)); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kW / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">";
  std::string escaped;
  for (char c : title) {
    if (c == '<') {
      escaped += "&lt;";
    } else if (c == '&') {
      escaped += "&amp;";
    } else {
      escaped += c;
    }
  }
  svg << escaped << "</text>\n";
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << plot_w << "\" height=\""
      << plot_h << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double f = i / 4.0;
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << y_ms(max_ms * 1.1 * f) + 4
        << "\" text-anchor=\"end\">" << Num(max_ms * 1.1 * f, 2) << "</text>\n"
        << "<text x=\"" << kW - kRight + 6 << "\" y=\"" << y_rate(max_rate * 1.1 * f) + 4 << "\">"
        << static_cast<long>(max_rate * 1.1 * f) << "</text>\n"
        << "<text x=\"" << x(max_users * f) << "\" y=\"" << kH - kBottom + 18
        << "\" text-anchor=\"middle\">" << static_cast<long>(max_users * f) << "</text>\n";
  }
  svg << "<text x=\"" << kW / 2 << "\" y=\"" << kH - 10
      << "\" text-anchor=\"middle\">users</text>\n"
      << "<text x=\"16\" y=\"" << kTop + plot_h / 2 << "\" transform=\"rotate(-90 16 "
      << kTop + plot_h / 2 << ")\" text-anchor=\"middle\">response time, ms</text>\n"
      << "<text x=\"" << kW - 14 << "\" y=\"" << kTop + plot_h / 2 << "\" transform=\"rotate(90 "
      << kW - 14 << " " << kTop + plot_h / 2 << ")\" text-anchor=\"middle\">answers/s</text>\n";
  const auto line = [&](const char* colour, const char* name, int legend_row, auto value) {
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const Window& w : report.steps)
      svg << x(static_cast<double>(w.users)) << "," << value(w) << " ";
    svg << "\"/>\n<text x=\"" << kLeft + 10 << "\" y=\"" << kTop + 16 + 16 * legend_row
        << "\" fill=\"" << colour << "\">" << name << "</text>\n";
  };
  line("#1f77b4", "average ms", 0, [&](const Window& w) { return y_ms(w.avg_ms); });
  line("#d62728", "p99 ms", 1, [&](const Window& w) { return y_ms(w.p99_ms); });
  line("#2ca02c", "answers/s (right axis)", 2, [&](const Window& w) {
    return y_rate(static_cast<double>(w.hits) / std::max(w.end_s - w.start_s, 1e-9));
  });
  svg << "</svg>\n";
  return svg.str();
}

int Command(const std::vector<std::string>& args) {
  Options o;
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
      if (!ParseDuration(v, &d)) return UsageError(a + ": expected a duration like 10s, got " + v);
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
  std::string hostport = url.substr(7);
  if (const size_t slash = hostport.find('/'); slash != std::string::npos) hostport.resize(slash);
  const size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    o.host = hostport;
  } else {
    o.host = hostport.substr(0, colon);
    o.port = static_cast<uint16_t>(std::atoi(hostport.c_str() + colon + 1));
  }
  if (paths_file.empty()) return UsageError("--paths FILE is required");
  std::ifstream in(paths_file);
  if (!in) {
    std::fprintf(stderr, "shoal bench: cannot read %s\n", paths_file.c_str());
    return 1;
  }
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) o.paths.push_back(line);
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::fprintf(stderr, "%8s %7s %9s %9s %9s %9s %9s %8s %7s\n", "time s", "users", "hits", "avg ms",
               "p50 ms", "p99 ms", "max ms", "timeouts", "errors");
  Result<Report> report = Run(o, [tty](const Window& w) {
    std::fprintf(stderr, "%8.1f %7zu %9llu %9.2f %9.2f %9.2f %9.2f %8llu %7llu%s\n", w.end_s,
                 w.users, static_cast<unsigned long long>(w.hits), w.avg_ms, w.p50_ms, w.p99_ms,
                 w.max_ms, static_cast<unsigned long long>(w.timeouts),
                 static_cast<unsigned long long>(w.errors), tty ? "" : "");
    std::fflush(stderr);
  });
  if (!report.ok()) {
    std::fprintf(stderr, "shoal bench: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  const Window& t = report->total;
  std::fprintf(stderr,
               "total: %llu hits in %.1f s, avg %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms, "
               "%llu timeouts, %llu errors%s%s\n",
               static_cast<unsigned long long>(t.hits), t.end_s, t.avg_ms, t.p50_ms, t.p99_ms,
               t.max_ms, static_cast<unsigned long long>(t.timeouts),
               static_cast<unsigned long long>(t.errors),
               t.first_error.empty() ? "" : "; first: ", t.first_error.c_str());
  const std::string json = ToJson(o, *report);
  if (json_file.empty()) {
    std::fputs(json.c_str(), stdout);
  } else {
    std::ofstream(json_file) << json;
  }
  if (!svg_file.empty()) {
    std::ofstream(svg_file) << ToSvg(*report, "shoal bench " + url + ": " +
                                                  std::to_string(o.users) + " users over " +
                                                  Num(Seconds(o.ramp), 0) + " s");
  }
  return t.errors == 0 && t.timeouts == 0 ? 0 : 1;
}

}  // namespace shoal::loadgen
