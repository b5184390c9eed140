// ProcessMetrics: see process_metrics.h.
#include "metrics/process_metrics.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace shoal::metrics {
namespace {

std::string ReadAll(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// BootTime is /proc/stat's btime (Unix seconds), 0 if absent.
int64_t BootTime() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

uint64_t OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t n = 0;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): readdir is safe on a stream no other thread uses
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // the directory's own descriptor is not the process's
}

}  // namespace

uint64_t ReadResidentBytes() {
  static const int kFd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  static const long kPage = ::sysconf(_SC_PAGESIZE);
  if (kFd < 0 || kPage <= 0) return 0;
  char text[128];
  const ssize_t n = ::pread(kFd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(kPage);
}

ProcessStats ReadProcessStats() {
  ProcessStats p;
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  {
    unsigned long long size = 0, resident = 0;
    const std::string statm = ReadAll("/proc/self/statm");
    if (std::sscanf(statm.c_str(), "%llu %llu", &size, &resident) == 2 && page > 0) {
      p.rss_bytes = resident * static_cast<uint64_t>(page);
    }
  }
  // /proc/self/stat: "pid (comm) state ..." where comm may hold spaces and parentheses: the
  // fields are counted after the last ')'. utime and stime are fields 14 and 15, starttime 22.
  const std::string stat = ReadAll("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 1));
    std::string f;
    unsigned long long utime = 0, stime = 0, start = 0;
    for (int i = 3; fields >> f; ++i) {
      if (i == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(f.c_str(), nullptr, 10);
      if (i == 22) {
        start = std::strtoull(f.c_str(), nullptr, 10);
        break;
      }
    }
    p.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
    p.start_time =
        BootTime() + static_cast<int64_t>(start / static_cast<unsigned long long>(ticks));
  }
  p.open_fds = OpenFds();
  return p;
}

void AddProcessMetrics(Registry& registry) {
  registry.AddFamilyCallback(
      "process_resident_memory_bytes", "Resident memory size in bytes", Type::kGauge,
      [](FamilyWriter& w) { w.Sample({}, static_cast<int64_t>(ReadProcessStats().rss_bytes)); });
  registry.AddFamilyCallback(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds",
      Type::kCounter, [](FamilyWriter& w) { w.SampleDouble({}, ReadProcessStats().cpu_seconds); });
  registry.AddFamilyCallback(
      "process_open_fds", "Number of open file descriptors", Type::kGauge,
      [](FamilyWriter& w) { w.Sample({}, static_cast<int64_t>(ReadProcessStats().open_fds)); });
  registry.AddFamilyCallback(
      "process_start_time_seconds", "Start time of the process since the Unix epoch in seconds",
      Type::kGauge, [](FamilyWriter& w) { w.Sample({}, ReadProcessStats().start_time); });
}

}  // namespace shoal::metrics
