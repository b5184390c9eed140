// systemd notifications: see systemd_notify.h.
#include "cli/systemd_notify.h"

#include <ctime>
#include <string>

#include <systemd/sd-daemon.h>

namespace shoal::cli {
namespace {

// Send passes `state` to sd_notify; true when a notification was sent.
bool Send(const std::string& state) { return sd_notify(0, state.c_str()) > 0; }

}  // namespace

bool NotifyReady() { return Send("READY=1"); }

bool NotifyStopping() { return Send("STOPPING=1"); }

bool NotifyReloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
  return Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool NotifyStatus(std::string_view text) {
  // One line: a newline would start another assignment.
  std::string line(text);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  return Send("STATUS=" + line);
}

}  // namespace shoal::cli
