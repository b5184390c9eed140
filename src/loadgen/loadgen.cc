// loadgen: see loadgen.h.
//
// A User is a shared_ptr kept alive by its pending operations (Beast's pattern); its timer
// serves in turn as the request timeout, the think pause and the rate slot, and a generation
// number tells a stale timer completion from the current one. Latencies go into the current
// window's vector under one mutex (one lock per answer: at the rates one client core can
// drive, a few hundred thousand a second, it is not the bottleneck).
#include "loadgen/loadgen.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <unistd.h>

namespace shoal::loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Samples {
  std::vector<uint32_t> latency_us;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  std::string first_error;

  void Merge(const Samples& other) {
    latency_us.insert(latency_us.end(), other.latency_us.begin(), other.latency_us.end());
    errors += other.errors;
    timeouts += other.timeouts;
    if (first_error.empty()) first_error = other.first_error;
  }
};

Window Summarise(Samples s, double start_s, double end_s, size_t users) {
  Window w;
  w.start_s = start_s;
  w.end_s = end_s;
  w.users = users;
  w.hits = s.latency_us.size();
  w.errors = s.errors;
  w.timeouts = s.timeouts;
  w.first_error = std::move(s.first_error);
  if (s.latency_us.empty()) return w;
  std::sort(s.latency_us.begin(), s.latency_us.end());
  double sum = 0;
  for (uint32_t v : s.latency_us) sum += v;
  const auto at = [&s](double p) {
    const size_t n = s.latency_us.size();
    const size_t k = std::min(
        n - 1, static_cast<size_t>(std::ceil(p * static_cast<double>(n))) - (p > 0 ? 1 : 0));
    return s.latency_us[k] / 1000.0;
  };
  w.avg_ms = sum / static_cast<double>(s.latency_us.size()) / 1000.0;
  w.p50_ms = at(0.50);
  w.p99_ms = at(0.99);
  w.max_ms = s.latency_us.back() / 1000.0;
  return w;
}

class Runner;

class User : public std::enable_shared_from_this<User> {
 public:
  User(Runner& runner, asio::io_context& io) : runner_(runner), socket_(io), timer_(io) {}
  void Start() { Connect(); }

 private:
  void Connect();
  void Next();
  void Send();
  void Read();
  void OnAnswer(int status, bool close);
  void Fail(const std::string& what, bool timeout);
  void Arm(SteadyClock::time_point at, void (User::*then)());

  Runner& runner_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t generation_ = 0;
  std::string request_;
  std::string buffer_;
  SteadyClock::time_point sent_;
  bool in_request_ = false;
};

class Runner {
 public:
  Runner(const Options& o, tcp::endpoint target) : options(o), endpoint(std::move(target)) {}

  Report Run(const std::function<void(const Window&)>& progress) {
    start = SteadyClock::now();
    end = start + options.ramp + options.hold;
    interval_ns_ = options.rate > 0 ? static_cast<int64_t>(1e9 / options.rate) : 0;
    next_send_ns_.store(0);
    starter_ = std::make_unique<asio::steady_timer>(io);
    stepper_ = std::make_unique<asio::steady_timer>(io);
    StartUsers();
    StepAt(start + options.step, progress);
    std::vector<std::thread> threads;
    for (size_t i = 1; i < std::max<size_t>(1, options.threads); ++i) {
      threads.emplace_back([this] { io.run(); });
    }
    io.run();
    for (auto& t : threads) t.join();
    Report report;
    report.steps = std::move(steps_);
    const double total_s = std::chrono::duration<double>(end - start).count();
    report.total = Summarise(std::move(all_), 0, total_s, started_.load());
    return report;
  }

  bool Over() const { return SteadyClock::now() >= end; }

  void Record(uint32_t latency_us) {
    std::lock_guard<std::mutex> lock(mu_);
    window_.latency_us.push_back(latency_us);
  }
  void RecordFailure(const std::string& what, bool timeout) {
    std::lock_guard<std::mutex> lock(mu_);
    if (timeout) {
      ++window_.timeouts;
    } else {
      ++window_.errors;
    }
    if (window_.first_error.empty()) window_.first_error = what;
  }
  const std::string& NextPath() {
    return options.paths[next_path_.fetch_add(1, std::memory_order_relaxed) % options.paths.size()];
  }
  // SendSlot is when the next request may go out under `rate` (now, without a rate).
  SteadyClock::time_point SendSlot() {
    if (interval_ns_ == 0) return SteadyClock::now();
    const int64_t slot = next_send_ns_.fetch_add(interval_ns_, std::memory_order_relaxed);
    const auto at = start + std::chrono::nanoseconds(slot);
    // A schedule that has fallen behind (the target could not keep up) catches up to now
    // rather than bursting.
    const auto now = SteadyClock::now();
    if (at < now - std::chrono::milliseconds(100)) {
      next_send_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count(),
                          std::memory_order_relaxed);
      return now;
    }
    return at;
  }

  const Options& options;
  const tcp::endpoint endpoint;
  asio::io_context io;
  SteadyClock::time_point start;
  SteadyClock::time_point end;

 private:
  void StartUsers() {
    const auto now = SteadyClock::now();
    const double ramp_ns = static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.ramp).count());
    while (started_.load() < options.users && !Over()) {
      const size_t i = started_.load();
      const auto due =
          start + std::chrono::nanoseconds(static_cast<int64_t>(
                      ramp_ns * static_cast<double>(i) / static_cast<double>(options.users)));
      if (due > now) break;
      started_.fetch_add(1);
      std::make_shared<User>(*this, io)->Start();
    }
    if (started_.load() < options.users && !Over()) {
      starter_->expires_after(std::chrono::milliseconds(5));
      starter_->async_wait([this](const boost::system::error_code& ec) {
        if (!ec) StartUsers();
      });
    }
  }

  void StepAt(SteadyClock::time_point at, const std::function<void(const Window&)>& progress) {
    const auto close_at = std::min(at, end);
    stepper_->expires_at(close_at);
    stepper_->async_wait([this, at, close_at, progress](const boost::system::error_code& ec) {
      if (ec) return;
      Samples s;
      {
        std::lock_guard<std::mutex> lock(mu_);
        std::swap(s, window_);
      }
      all_.Merge(s);
      const double from = steps_.empty() ? 0 : steps_.back().end_s;
      const double to = std::chrono::duration<double>(close_at - start).count();
      steps_.push_back(Summarise(std::move(s), from, to, started_.load()));
      if (progress) progress(steps_.back());
      if (close_at >= end) {
        // The users see Over() at their next step and close; give stragglers their timeout.
        stepper_->expires_after(options.timeout + std::chrono::milliseconds(100));
        stepper_->async_wait([this](const boost::system::error_code&) { io.stop(); });
        return;
      }
      StepAt(at + options.step, progress);
    });
  }

  std::mutex mu_;
  Samples window_;
  Samples all_;  // touched only by the stepper_'s handler
  std::vector<Window> steps_;
  std::unique_ptr<asio::steady_timer> starter_;
  std::unique_ptr<asio::steady_timer> stepper_;
  std::atomic<size_t> started_{0};
  std::atomic<size_t> next_path_{0};
  std::atomic<int64_t> next_send_ns_{0};
  int64_t interval_ns_ = 0;
};

void User::Arm(SteadyClock::time_point at, void (User::*then)()) {
  const uint64_t gen = ++generation_;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this(), gen, then](const boost::system::error_code& ec) {
    if (ec || gen != self->generation_) return;
    ((*self).*then)();
  });
}

void User::Connect() {
  if (runner_.Over()) return;
  boost::system::error_code ignored;
  socket_.close(ignored);
  buffer_.clear();
  socket_.async_connect(runner_.endpoint,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                          if (ec) {
                            self->Fail("connect: " + ec.message(), false);
                            return;
                          }
                          boost::system::error_code ignore;
                          self->socket_.set_option(tcp::no_delay(true), ignore);
                          self->Next();
                        });
}

void User::Next() {
  if (runner_.Over()) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return;
  }
  const auto slot = runner_.SendSlot();
  if (slot > SteadyClock::now()) {
    Arm(slot, &User::Send);
  } else {
    Send();
  }
}

void User::Send() {
  const std::string& path = runner_.NextPath();
  request_.assign("GET ").append(path).append(" HTTP/1.1\r\nHost: ");
  request_.append(runner_.options.host).append("\r\nUser-Agent: shoal-bench\r\n\r\n");
  sent_ = SteadyClock::now();
  in_request_ = true;
  const uint64_t gen = ++generation_;
  timer_.expires_at(sent_ + runner_.options.timeout);
  timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
    if (ec || gen != self->generation_ || !self->in_request_) return;
    self->Fail("timeout", true);
  });
  asio::async_write(socket_, asio::buffer(request_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (ec) {
                        if (self->in_request_) self->Fail("write: " + ec.message(), false);
                        return;
                      }
                      self->Read();
                    });
}

void User::Read() {
  // Whole answer: headers to the blank line, then Content-Length bytes of body.
  const size_t head_end = buffer_.find("\r\n\r\n");
  if (head_end != std::string::npos) {
    const std::string_view head(buffer_.data(), head_end);
    int status = 0;
    if (head.size() > 12 && head.substr(0, 5) == "HTTP/") {
      status = std::atoi(std::string(head.substr(9, 3)).c_str());
    }
    size_t length = 0;
    bool close = false;
    bool chunked = false;
    size_t line = head.find("\r\n");
    while (line != std::string_view::npos && line < head.size()) {
      const size_t next = head.find("\r\n", line + 2);
      std::string field(
          head.substr(line + 2, (next == std::string_view::npos ? head.size() : next) - line - 2));
      std::transform(field.begin(), field.end(), field.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (field.rfind("content-length:", 0) == 0) {
        length = static_cast<size_t>(std::strtoull(field.c_str() + 15, nullptr, 10));
      } else if (field.rfind("connection:", 0) == 0 && field.find("close") != std::string::npos) {
        close = true;
      } else if (field.rfind("transfer-encoding:", 0) == 0) {
        chunked = true;
      }
      line = next;
    }
    if (status == 0 || chunked) {
      Fail(chunked ? "chunked answers are not supported" : "malformed answer", false);
      return;
    }
    if (buffer_.size() >= head_end + 4 + length) {
      buffer_.erase(0, head_end + 4 + length);
      OnAnswer(status, close);
      return;
    }
  }
  const size_t have = buffer_.size();
  buffer_.resize(have + 16384);
  socket_.async_read_some(
      asio::buffer(buffer_.data() + have, 16384),
      [self = shared_from_this(), have](const boost::system::error_code& ec, size_t n) {
        self->buffer_.resize(have + n);
        if (!self->in_request_) return;  // timed out meanwhile
        if (ec) {
          self->Fail(ec == asio::error::eof ? "closed by the server" : "read: " + ec.message(),
                     false);
          return;
        }
        self->Read();
      });
}

void User::OnAnswer(int status, bool close) {
  in_request_ = false;
  ++generation_;  // the timeout no longer applies
  timer_.cancel();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent_);
  if (status >= 500) {
    runner_.RecordFailure("HTTP " + std::to_string(status), false);
  } else {
    runner_.Record(static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX)));
  }
  if (close) {
    Connect();
    return;
  }
  if (runner_.options.think > Duration::zero()) {
    Arm(SteadyClock::now() + runner_.options.think, &User::Next);
  } else {
    Next();
  }
}

void User::Fail(const std::string& what, bool timeout) {
  in_request_ = false;
  ++generation_;
  timer_.cancel();
  if (!runner_.Over()) runner_.RecordFailure(what, timeout);
  boost::system::error_code ignored;
  socket_.close(ignored);
  // Reconnect after a short pause, so a refusing server is not hammered.
  Arm(SteadyClock::now() + std::chrono::milliseconds(100), &User::Connect);
}

}  // namespace

Result<Report> Run(const Options& options, const std::function<void(const Window&)>& progress) {
  if (options.paths.empty()) return Status::InvalidArgument("no paths to request");
  if (options.users == 0) return Status::InvalidArgument("--users must be at least 1");
  if (options.step <= Duration::zero()) return Status::InvalidArgument("--step must be > 0");
  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  boost::system::error_code ec;
  auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || results.empty()) {
    return Status::Unavailable("cannot resolve " + options.host + ": " + ec.message());
  }
  Runner runner(options, results.begin()->endpoint());
  return runner.Run(progress);
}

}  // namespace shoal::loadgen
