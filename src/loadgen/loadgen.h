// loadgen: the load generator behind `shoal bench` (whose command line and printing are
// cli/bench.cc; this library prints nothing and returns values), a load generator that ramps
// virtual users, the way the original system was judged (0 to 1,000 concurrent users over a
// minute).
//
// Each virtual user is one keep-alive HTTP/1.1 connection that asks for the next path of a
// shared list (round-robin over the file), waits for the whole answer, pauses `think`, and
// asks again, like a client that reuses its connection. Users start evenly over `ramp`
// (user i at i * ramp / users), then all of them keep going for `hold`. A request that is not
// answered within `timeout` counts as a timeout and its connection is replaced. Every `step`
// the run closes a window and reports it: users active, answers (hits), average, p50, p99 and
// max response time, timeouts, errors (5xx, connection failures, malformed answers). A 4xx
// is an answer, not an error: the request mix contains 404s on purpose.
//
// With `rate` > 0 the users together send at most `rate` requests per second (a shared
// schedule of send times), so that a run can stay below saturation whatever the user count.
//
// Everything runs on one io_context, on `threads` threads. Only loadgen.cc sees Asio.
// Thread-safety: Run is a blocking call; the progress callback runs on a load thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::loadgen {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 80;
  std::vector<std::string> paths;  // request targets, asked round-robin
  size_t users = 100;
  Duration ramp = std::chrono::seconds(10);
  Duration hold = std::chrono::seconds(0);
  Duration think = std::chrono::milliseconds(0);  // pause between a user's requests
  double rate = 0;                                // total requests per second; 0: no limit
  Duration timeout = std::chrono::seconds(2);
  Duration step = std::chrono::seconds(5);
  size_t threads = 1;
};

// Window is one step of the run (or the whole run, for the total).
struct Window {
  double start_s = 0;  // since the start of the run
  double end_s = 0;
  size_t users = 0;   // users started by the end of the window
  uint64_t hits = 0;  // answers received (any status below 500)
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  double avg_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::string first_error;  // one example, for the report
};

struct Report {
  std::vector<Window> steps;
  Window total;
};

// Run runs the load and returns the report; `progress` (may be empty) gets each window as it
// closes. Errors: InvalidArgument for bad options, Unavailable when the target cannot be
// resolved.
Result<Report> Run(const Options& options, const std::function<void(const Window&)>& progress);

// ToJson renders a report as one JSON object {"options": ..., "steps": [...], "total": ...}.
std::string ToJson(const Options& options, const Report& report);

// ToSvg draws response time (average and p99, left axis) and answers per second (right axis)
// against the users active, one point per step, as a standalone SVG document.
std::string ToSvg(const Report& report, const std::string& title);

}  // namespace shoal::loadgen
