// shoal_rpc_bench: calls per second and latency of the peer RPC layer over loopback.
//
// A Server with an echo handler and a Client run on two Runtimes of one thread each (two
// nodes' peer threads). Modes:
//   - "one connection": one Client with connections = 1 and a closed loop that keeps N calls
//     outstanding (each completion issues the next) for the run's duration; N = 1, 16, 256.
//   - "connection per call": the original system's mistake, for comparison: a new Client
//     for every call (dial, handshake, one call, Close), from N driver threads; N = 1, 16.
// Each run prints calls/s and the p50/p99 latency of a call, measured from Call to its
// callback. Not a test: run it by hand on an otherwise idle machine, from a release build.
//
// Usage: shoal_rpc_bench [seconds per run, default 5] [payload bytes, default 64]
// With SHOAL_RPC_BENCH_TLS=DIR (a directory made by scripts/cluster-tls.sh), both ends speak
// mutual TLS (cluster.tls) with DIR's node.pem, to compare with the plain runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "rpc/runtime.h"
#include "rpc/server.h"

namespace {

using shoal::Result;
using shoal::Status;
using SteadyClock = std::chrono::steady_clock;

class Echo : public shoal::rpc::Handler {
 public:
  Status Handle(uint8_t, std::string_view payload, shoal::rpc::Responder respond) override {
    respond(std::string(payload));
    return Status::Ok();
  }
};

struct RunResult {
  std::vector<uint32_t> micros;  // one per successful call
  uint64_t errors = 0;
  double seconds = 0;
};

uint32_t Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

uint32_t MicrosSince(SteadyClock::time_point start) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count());
}

// ClosedLoop keeps `in_flight` calls outstanding on one client until `duration` has passed.
class ClosedLoop {
 public:
  ClosedLoop(shoal::rpc::Client& client, std::string payload, SteadyClock::duration duration)
      : client_(client), payload_(std::move(payload)), duration_(duration) {}

  RunResult Run(int in_flight) {
    start_ = SteadyClock::now();
    end_ = start_ + duration_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      outstanding_ = in_flight;
    }
    for (int i = 0; i < in_flight; ++i) Issue();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ == 0; });
    result_.seconds = std::chrono::duration<double>(SteadyClock::now() - start_).count();
    return std::move(result_);
  }

 private:
  void Issue() {
    const SteadyClock::time_point sent = SteadyClock::now();
    client_.Call(1, payload_, std::chrono::seconds(5), [this, sent](Result<std::string> r) {
      const uint32_t us = MicrosSince(sent);
      bool again = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (r.ok()) {
          result_.micros.push_back(us);
        } else {
          ++result_.errors;
        }
        again = SteadyClock::now() < end_;
        if (!again && --outstanding_ == 0) cv_.notify_all();
      }
      if (again) Issue();
    });
  }

  shoal::rpc::Client& client_;
  const std::string payload_;
  const SteadyClock::duration duration_;
  SteadyClock::time_point start_, end_;
  std::mutex mu_;
  std::condition_variable cv_;
  int outstanding_ = 0;
  RunResult result_;
};

// ConnectionPerCall runs `threads` drivers, each: new Client, one call, Close, repeat.
RunResult ConnectionPerCall(shoal::rpc::Runtime& runtime, const shoal::rpc::ClientOptions& base,
                            const std::string& payload, SteadyClock::duration duration,
                            int threads) {
  const SteadyClock::time_point start = SteadyClock::now();
  const SteadyClock::time_point end = start + duration;
  std::mutex mu;
  RunResult total;
  std::vector<std::thread> drivers;
  for (int t = 0; t < threads; ++t) {
    drivers.emplace_back([&] {
      RunResult mine;
      while (SteadyClock::now() < end) {
        const SteadyClock::time_point sent = SteadyClock::now();
        std::promise<bool> done;
        {
          shoal::rpc::Client client(runtime, base);
          client.Call(1, payload, std::chrono::seconds(5),
                      [&done](Result<std::string> r) { done.set_value(r.ok()); });
          const bool ok = done.get_future().get();
          client.Close();
          if (ok) {
            mine.micros.push_back(MicrosSince(sent));
          } else {
            ++mine.errors;
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      total.micros.insert(total.micros.end(), mine.micros.begin(), mine.micros.end());
      total.errors += mine.errors;
    });
  }
  for (auto& d : drivers) d.join();
  total.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return total;
}

void Print(const char* mode, int in_flight, RunResult r) {
  const double rate = static_cast<double>(r.micros.size()) / r.seconds;
  const uint32_t p50 = Percentile(r.micros, 0.50);
  const uint32_t p99 = Percentile(r.micros, 0.99);
  std::printf("%-20s %9d %12.0f %9u %9u %8llu\n", mode, in_flight, rate, p50, p99,
              static_cast<unsigned long long>(r.errors));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  const long payload_bytes = argc > 2 ? std::atol(argv[2]) : 64;
  if (seconds <= 0 || payload_bytes < 0) {
    std::fprintf(stderr, "usage: %s [seconds per run > 0] [payload bytes >= 0]\n", argv[0]);
    return 2;
  }
  const auto duration =
      std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  const std::string payload(static_cast<size_t>(payload_bytes), 'p');

  shoal::rpc::Runtime server_rt(1);
  shoal::rpc::Runtime client_rt(1);
  Echo echo;
  shoal::rpc::ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  const char* tls_dir = std::getenv("SHOAL_RPC_BENCH_TLS");
  shoal::TlsFiles tls;
  if (tls_dir != nullptr && *tls_dir != '\0') {
    const std::string d = tls_dir;
    tls = {.ca = d + "/ca.pem", .cert = d + "/node.pem", .key = d + "/node-key.pem"};
  }
  so.tls = tls;
  shoal::rpc::Server server(server_rt, so, echo);
  if (Status st = server.Start(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  shoal::rpc::ClientOptions co;
  co.host = "127.0.0.1";
  co.port = server.port();
  co.connections = 1;
  co.tls = tls;
  co.self = "127.0.0.2:1";  // with TLS the server checks it against node.pem's SANs

  std::printf("rpc echo over 127.0.0.1%s, %.1f s per run, %ld-byte payloads\n",
              tls.ca.empty() ? "" : " (mutual TLS)", seconds, payload_bytes);
  std::printf("%-20s %9s %12s %9s %9s %8s\n", "mode", "in_flight", "calls/s", "p50_us", "p99_us",
              "errors");
  {
    shoal::rpc::Client client(client_rt, co);
    for (int n : {1, 16, 256}) {
      ClosedLoop loop(client, payload, duration);
      Print("one connection", n, loop.Run(n));
    }
    client.Close();
  }
  for (int n : {1, 16}) {
    Print("connection per call", n, ConnectionPerCall(client_rt, co, payload, duration, n));
  }
  server.Stop();
  client_rt.Stop();
  server_rt.Stop();
  return 0;
}
