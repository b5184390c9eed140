// NodeProbes: what `serve` adds so that a node can be operated like nginx or Varnish behind a
// load balancer and systemd: readiness (GET /_shoal/ready), the drain delay's first step, the
// systemd notifications, and the shoal_ready and shoal_build_info metrics. serve.cc calls it
// at a few points; the logic lives in api/readiness.h, api/store_probe.h, api/ready_route.h
// and systemd_notify.h.
//
//   Observe      wraps the store in an api::ObservedStore (before anything prepares on it)
//   Public/Admin put an api::ReadyRoute in front of the listener's handler
//   Start        sets the cluster's "member list known" check and starts the StoreProbe thread
//                (once the listeners serve: nothing after it returns early)
//   Expose       registers shoal_ready (gauge 0/1), shoal_ready_probes_total and
//                shoal_build_info{version,revision} 1
//   OnSignal     the callback for http::Server::StopOnSignals: readiness off, STOPPING=1
//   Serving      READY=1 (and STATUS=) to systemd
//   Stop         stops the probe thread: after the drain, before the cluster and the store stop
//
// Ownership: owns the Readiness, the probe and the routes; borrows the store it wraps (owned by
// the wrapper Observe returns), the Clock, the cluster and the handlers, which must outlive it
// (declare it after the store; Stop before the cluster stops). Thread-safety: serve's thread
// only, except OnSignal's callback (any thread).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/readiness.h"
#include "api/ready_route.h"
#include "api/store_probe.h"
#include "base/clock.h"
#include "base/logger.h"
#include "cli/config.h"
#include "cluster/cluster.h"
#include "http/handler.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace shoal::cli {

class NodeProbes {
 public:
  NodeProbes(const Config& config, const Clock& clock);
  ~NodeProbes();  // Stop()
  NodeProbes(const NodeProbes&) = delete;
  NodeProbes& operator=(const NodeProbes&) = delete;

  std::unique_ptr<store::Store> Observe(std::unique_ptr<store::Store> store);
  http::Handler& Public(http::Handler& api);
  http::Handler& Admin(http::Handler& admin);
  // Start: `cluster` may be null (a single node). The store's error if the probe's query
  // cannot be prepared.
  Status Start(const cluster::Cluster* cluster, Logger* logger);
  void Expose(metrics::Registry& registry) const;
  std::function<void()> OnSignal();
  void Serving(const std::string& description) const;
  void Stop();

  const api::Readiness& readiness() const { return readiness_; }
  // probe_queries is the store probe's queries so far (0 before Start).
  uint64_t probe_queries() const { return probe_ != nullptr ? probe_->sent() : 0; }

 private:
  const Config::StoreKind store_kind_;
  const Duration store_timeout_;
  api::Readiness readiness_;
  store::Store* inner_ = nullptr;  // the store Observe wrapped
  std::unique_ptr<api::ReadyRoute> public_route_;
  std::unique_ptr<api::ReadyRoute> admin_route_;
  std::unique_ptr<api::StoreProbe> probe_;
};

}  // namespace shoal::cli
