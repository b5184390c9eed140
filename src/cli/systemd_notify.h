// systemd notifications (sd_notify(3), libsystemd) for a unit of Type=notify: the service
// manager learns when shoal is serving, stopping or reloading. Each call is a no-op when the
// process was not started by systemd (no NOTIFY_SOCKET in the environment) and never fails
// the caller: a notification that cannot be sent is dropped (the return says whether it was).
//
//   NotifyReady      READY=1 once the listeners serve (systemctl start returns then)
//   NotifyStopping   STOPPING=1 when the drain begins (SIGTERM)
//   NotifyReloading  RELOADING=1 with MONOTONIC_USEC (systemd 253's reload protocol) before a
//                    reload; call NotifyReady when it is done, whatever its outcome
//   NotifyStatus     STATUS=text, shown by systemctl status
// Thread-safety: thread-safe (each call sends one datagram).
#pragma once

#include <string_view>

namespace shoal::cli {

bool NotifyReady();
bool NotifyStopping();
bool NotifyReloading();
bool NotifyStatus(std::string_view text);

}  // namespace shoal::cli
