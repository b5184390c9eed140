// AccessLog: the access log (log.access): the http::AccessSink the servers report every answer
// to, and the thread that writes the lines.
//
// The loop threads never wait on the disk. Write copies a record (its fixed fields, then the
// method, target, Referer and User-Agent the session already cut to http/access.h's bounds;
// route and owner are interned views, copied as views) into a bounded queue under a mutex held
// for that copy only, and allocates nothing: the queue is a byte buffer reserved once. When the
// queue holds `max_records` records or has no room for this one in `max_bytes`, the line is
// dropped and counted (dropped()), never waited for. One writer thread swaps the queue for its
// own second buffer (so the loops go on filling the first), formats the lines
// (access_log_format.h) and writes them with write(2) in one batch, at least every
// `flush_interval`, sooner once the queue is a quarter full. So a line reaches the file within
// about flush_interval of its answer, whole (nothing else writes there).
//
// Files: opened O_APPEND (created 0640). Reopen (SIGUSR1, after logrotate moved the file) opens
// the path again and swaps the descriptor between two batches; when that fails, the failure is
// logged and the old file keeps being written. "stdout" writes to descriptor 1, and Reopen does
// nothing for it. A failed write (disk full) is logged (a few lines per minute) and its lines are
// counted as dropped.
//
// Ownership: an AccessLog owns its thread and its descriptor (not stdout's); the Logger must
// outlive it. Stop (or the destructor) writes what is queued and joins the thread; the servers
// that write to it must have stopped first.
// Thread-safety: Write, Reopen, lines and dropped from any thread; Stop once, from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/logger.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cli/access_log_format.h"
#include "http/access.h"
#include "metrics/metrics.h"

namespace shoal::cli {

struct AccessLogOptions {
  std::string path;  // a file (relative paths: to the config's directory) or "stdout"; "": off
  AccessLogFormat format = AccessLogFormat::kCombined;
  int line = 0;      // of log.access in the config file, for messages ("" file: none)
  std::string file;  // the config file, for messages
};

// AccessQueueLimits bound what waits for the writer thread. The defaults hold 65536 records
// or 8 MiB of them (a record is about 100 bytes plus its request text), whichever comes first:
// at 100,000 requests/s that is over half a second of lines, ten flush intervals.
struct AccessQueueLimits {
  size_t max_records = 65536;
  size_t max_bytes = size_t{8} << 20;
  std::chrono::milliseconds flush_interval{100};
};

class AccessLog final : public http::AccessSink {
 public:
  // Open opens `options.path` for appending (or takes stdout) and starts the writer thread. An
  // error names the config's file:line and the path: "shoal.yaml:12: log.access.path: cannot
  // open /var/log/shoal/access.log: Permission denied".
  static Result<std::unique_ptr<AccessLog>> Open(const AccessLogOptions& options, Logger* logger,
                                                 AccessQueueLimits limits = {});
  ~AccessLog() override;  // Stop()
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // http::AccessSink: queue one line, or drop and count it when the queue is full.
  void Write(const http::AccessRecord& record) override;

  // Reopen opens the path again and writes the next batches there (logrotate's convention). On
  // failure the old file stays in use; the error is logged and returned. Ok for stdout.
  Status Reopen();

  // Stop writes every queued line and ends the thread. Idempotent.
  void Stop();

  uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }  // written
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  AccessLog(AccessLogOptions options, int fd, Logger* logger, AccessQueueLimits limits);
  void Run();
  // WriteOut writes `text` (`n` lines) to the current descriptor.
  void WriteOut(const std::string& text, uint64_t n);

  const AccessLogOptions options_;
  const AccessQueueLimits limits_;
  const Log log_;
  LogLimiter write_errors_{std::chrono::minutes(1), 3};

  Mutex mu_;
  CondVar wake_;
  std::string queue_ SHOAL_GUARDED_BY(mu_);   // packed records; capacity reserved once
  size_t queued_ SHOAL_GUARDED_BY(mu_) = 0;   // records in queue_
  bool woken_ SHOAL_GUARDED_BY(mu_) = false;  // the writer was told the queue is filling
  bool stop_ SHOAL_GUARDED_BY(mu_) = false;

  // The writer thread's own: the buffer it swapped out of queue_, and the formatted text.
  std::string batch_;
  std::string text_;
  AccessLineFormatter formatter_;

  Mutex file_mu_;  // held while a batch is written, and to swap the descriptor
  int fd_ SHOAL_GUARDED_BY(file_mu_) = -1;

  std::atomic<uint64_t> lines_{0}, dropped_{0};
  std::thread thread_;
  bool stopped_ = false;  // Stop's, on the owner's thread
};

// ExposeAccessLog registers shoal_access_log_lines_total and shoal_access_log_dropped_total,
// read from `log` at scrape time; `log` must outlive `registry`'s scrapes.
void ExposeAccessLog(metrics::Registry& registry, const AccessLog& log);

}  // namespace shoal::cli
