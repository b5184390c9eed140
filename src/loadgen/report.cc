// loadgen: the report of a run as JSON and as an SVG chart; see loadgen.h. Pure functions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

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

}  // namespace shoal::loadgen
