// AccessLog: the queue, the writer thread and the file (see access_log.h).
#include "cli/access_log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace shoal::cli {
namespace {

constexpr std::string_view kStdout = "stdout";

// Packed is a record's fixed part as queued; its request texts follow it, in this order:
// method, target, Referer, User-Agent. Route and owner are interned: their views are copied.
struct Packed {
  std::chrono::system_clock::time_point time;
  Duration duration{};
  uint64_t bytes = 0;
  std::string_view route;
  std::string_view owner;
  int status = 0;
  uint16_t sizes[4] = {};  // of the four texts
  http::ClientAddress client;
  unsigned char cuts = 0;  // bit i: text i was cut
  bool http_1_0 = false;
  http::CacheResult cache = http::CacheResult::kNone;
};
static_assert(std::is_trivially_copyable_v<Packed>);

constexpr size_t kTexts = 4;

uint16_t Size16(std::string_view s) {
  // The session cuts each text to at most kAccessTargetMax (1024) bytes; be safe anyway.
  return static_cast<uint16_t>(std::min<size_t>(s.size(), UINT16_MAX));
}

// OpenForAppend opens `path` for appending, creating it 0640; -1 and errno on failure.
int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

std::string Where(const AccessLogOptions& o) {
  if (o.file.empty()) return "log.access.path";
  return o.file + ":" + std::to_string(o.line) + ": log.access.path";
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const AccessLogOptions& options, Logger* logger,
                                                   AccessQueueLimits limits) {
  int fd = STDOUT_FILENO;
  if (options.path != kStdout) {
    fd = OpenForAppend(options.path);
    if (fd < 0) {
      const int err = errno;
      return Status::InvalidArgument(Where(options) + ": cannot open " + options.path +
                                     " for appending: " + ErrnoText(err));
    }
  }
  return std::unique_ptr<AccessLog>(new AccessLog(options, fd, logger, limits));
}

AccessLog::AccessLog(AccessLogOptions options, int fd, Logger* logger, AccessQueueLimits limits)
    : options_(std::move(options)),
      limits_(limits),
      log_(logger, "access"),
      formatter_(options_.format) {
  {
    MutexLock lock(mu_);
    queue_.reserve(limits_.max_bytes);
  }
  batch_.reserve(limits_.max_bytes);
  {
    MutexLock lock(file_mu_);
    fd_ = fd;
  }
  thread_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() { Stop(); }

void AccessLog::Write(const http::AccessRecord& r) {
  const std::string_view texts[kTexts] = {r.method.text, r.target.text, r.referer.text,
                                          r.user_agent.text};
  const bool cuts[kTexts] = {r.method.cut, r.target.cut, r.referer.cut, r.user_agent.cut};
  Packed p{};
  p.time = r.time;
  p.duration = r.duration;
  p.bytes = r.bytes;
  p.route = r.route;
  p.owner = r.owner;
  p.status = r.status;
  p.client = r.client;
  p.http_1_0 = r.http_1_0;
  p.cache = r.cache;
  size_t need = sizeof(Packed);
  for (size_t i = 0; i < kTexts; ++i) {
    p.sizes[i] = Size16(texts[i]);
    need += p.sizes[i];
    if (cuts[i]) p.cuts = static_cast<unsigned char>(p.cuts | (1u << i));
  }
  MutexLock lock(mu_);
  if (queued_ >= limits_.max_records || queue_.size() + need > limits_.max_bytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Within the capacity reserved at construction: no allocation.
  queue_.append(reinterpret_cast<const char*>(&p), sizeof(Packed));
  for (size_t i = 0; i < kTexts; ++i) queue_.append(texts[i].data(), p.sizes[i]);
  ++queued_;
  if (!woken_ && (queue_.size() >= limits_.max_bytes / 4 || queued_ >= limits_.max_records / 4)) {
    woken_ = true;
    wake_.NotifyOne();
  }
}

void AccessLog::Run() {
  while (true) {
    uint64_t n = 0;
    bool last = false;
    {
      MutexLock lock(mu_);
      wake_.WaitFor(mu_, limits_.flush_interval,
                    [this]() SHOAL_REQUIRES(mu_) { return stop_ || woken_; });
      queue_.swap(batch_);  // batch_ is empty, with the same capacity
      n = queued_;
      queued_ = 0;
      woken_ = false;
      last = stop_;
    }
    if (n > 0) {
      text_.clear();
      size_t at = 0;
      for (uint64_t i = 0; i < n; ++i) {
        Packed p;
        std::memcpy(&p, batch_.data() + at, sizeof(Packed));
        at += sizeof(Packed);
        http::AccessValue* values[kTexts];
        http::AccessRecord r;
        values[0] = &r.method;
        values[1] = &r.target;
        values[2] = &r.referer;
        values[3] = &r.user_agent;
        for (size_t t = 0; t < kTexts; ++t) {
          values[t]->text = std::string_view(batch_.data() + at, p.sizes[t]);
          values[t]->cut = (p.cuts & (1u << t)) != 0;
          at += p.sizes[t];
        }
        r.time = p.time;
        r.duration = p.duration;
        r.client = p.client;
        r.http_1_0 = p.http_1_0;
        r.status = p.status;
        r.bytes = p.bytes;
        r.cache = p.cache;
        r.route = p.route;
        r.owner = p.owner;
        formatter_.Append(text_, r);
      }
      batch_.clear();  // keeps its capacity
      WriteOut(text_, n);
    }
    if (last) return;
  }
}

void AccessLog::WriteOut(const std::string& text, uint64_t n) {
  MutexLock lock(file_mu_);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd_, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = w < 0 ? errno : EIO;
      // The lines not (wholly) written are lost: count them; say so, but not per batch.
      const uint64_t written = static_cast<uint64_t>(
          std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(done), '\n'));
      lines_.fetch_add(written, std::memory_order_relaxed);
      dropped_.fetch_add(n - written, std::memory_order_relaxed);
      write_errors_.Write(log_, LogLevel::kError,
                          "cannot write to " + options_.path + ": " + ErrnoText(err) + "; " +
                              std::to_string(n - written) + " lines lost");
      return;
    }
    done += static_cast<size_t>(w);
  }
  lines_.fetch_add(n, std::memory_order_relaxed);
}

Status AccessLog::Reopen() {
  if (options_.path == kStdout) return Status::Ok();
  const int fd = OpenForAppend(options_.path);
  if (fd < 0) {
    const int err = errno;
    const std::string message = "cannot reopen " + options_.path + ": " + ErrnoText(err) +
                                "; still writing to the file open before";
    log_.Error(message);
    return Status::Unavailable(message);
  }
  int old = -1;
  {
    MutexLock lock(file_mu_);
    old = std::exchange(fd_, fd);
  }
  ::close(old);
  log_.Info("reopened " + options_.path);
  return Status::Ok();
}

void AccessLog::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    MutexLock lock(mu_);
    stop_ = true;
    wake_.NotifyOne();
  }
  thread_.join();
  MutexLock lock(file_mu_);
  if (options_.path != kStdout) ::close(fd_);
  fd_ = -1;
}

void ExposeAccessLog(metrics::Registry& registry, const AccessLog& log) {
  registry.AddCallback("shoal_access_log_lines_total", "Access log lines written",
                       [&log] { return static_cast<int64_t>(log.lines()); });
  registry.AddCallback("shoal_access_log_dropped_total",
                       "Access log lines dropped: the queue was full, or a write failed",
                       [&log] { return static_cast<int64_t>(log.dropped()); });
}

}  // namespace shoal::cli
