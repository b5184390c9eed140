// Toxiproxy: a Toxiproxy server (Shopify's TCP fault proxy, v2; scripts/toxiproxy.sh installs
// it) that a test starts on a free 127.0.0.1 port, drives through its HTTP API, and kills by
// pid when it is done with it.
//
// A proxy listens on a loopback port and forwards every connection to its upstream; toxics
// added to it (latency, timeout, reset_peer, bandwidth, ...) act on the connections already
// open and on new ones, per direction: "upstream" is what the dialler sends, "downstream"
// what it receives. Reset removes every toxic and re-enables every proxy.
//
// Whether a test may skip without it: SHOAL_REQUIRE_TOXIPROXY=1 (set by
// `scripts/toxiproxy.sh with ...`, which `make test-dev` uses once the install succeeded)
// makes a missing server a failure.
//
// Ownership: a Toxiproxy owns its server process (ShoalProcess::Exec: SIGKILL when destroyed
// or when the starting thread dies). Thread-safety: each call opens its own connection, so
// calls from several threads are safe; Start and the destructor belong to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {

class Toxiproxy {
 public:
  // ServerBinary is SHOAL_TOXIPROXY_SERVER if set, else what `scripts/toxiproxy.sh path`
  // prints (the cached install), else "" (not installed).
  static std::string ServerBinary();
  // Required: SHOAL_REQUIRE_TOXIPROXY=1.
  static bool Required();

  // Start runs `binary` on 127.0.0.1 and a free port and waits up to `timeout` until its API
  // answers GET /version.
  static Result<std::unique_ptr<Toxiproxy>> Start(const std::string& binary,
                                                  Duration timeout = std::chrono::seconds(10));

  uint16_t port() const { return port_; }
  std::string Output() const { return process_->Output(); }

  // CreateProxy: POST /proxies, `name` listening on 127.0.0.1:listen_port, forwarding to
  // 127.0.0.1:upstream_port.
  Status CreateProxy(std::string_view name, uint16_t listen_port, uint16_t upstream_port);
  // AddToxic: POST /proxies/PROXY/toxics with toxicity 1; `attributes` is a JSON object.
  Status AddToxic(std::string_view proxy, std::string_view toxic, std::string_view type,
                  std::string_view stream, std::string_view attributes);
  // RemoveToxic: DELETE /proxies/PROXY/toxics/TOXIC.
  Status RemoveToxic(std::string_view proxy, std::string_view toxic);
  // Reset: POST /reset (every toxic removed, every proxy enabled).
  Status Reset();

 private:
  Toxiproxy(std::unique_ptr<ShoalProcess> process, uint16_t port)
      : process_(std::move(process)), port_(port) {}
  // Call sends one API request; an answer other than `want` is an error naming it.
  Status Call(std::string_view method, const std::string& path, std::string_view body, int want);

  std::unique_ptr<ShoalProcess> process_;
  uint16_t port_;
};

}  // namespace shoal::testing
