// NodeProbes: see node_probes.h.
#include "cli/node_probes.h"

#include <utility>

#include "api/observed_store.h"
#include "cli/systemd_notify.h"
#include "cli/version.h"

namespace shoal::cli {

NodeProbes::NodeProbes(const Config& config, const Clock& clock)
    : store_kind_(config.store_kind),
      store_timeout_(config.api.store_timeout),
      readiness_(config.ready, clock) {}

NodeProbes::~NodeProbes() { Stop(); }

std::unique_ptr<store::Store> NodeProbes::Observe(std::unique_ptr<store::Store> store) {
  inner_ = store.get();
  return std::make_unique<api::ObservedStore>(std::move(store), readiness_);
}

http::Handler& NodeProbes::Public(http::Handler& api) {
  public_route_ = std::make_unique<api::ReadyRoute>(api, readiness_);
  return *public_route_;
}

http::Handler& NodeProbes::Admin(http::Handler& admin) {
  admin_route_ = std::make_unique<api::ReadyRoute>(admin, readiness_);
  return *admin_route_;
}

Status NodeProbes::Start(const cluster::Cluster* cluster, Logger* logger) {
  if (cluster != nullptr) {
    // Cluster::Stats is thread-safe; with `seeds:` the list is empty until a seed answered.
    readiness_.SetMembershipCheck([cluster] { return cluster->Stats().members > 0; });
  }
  probe_ = std::make_unique<api::StoreProbe>(*inner_, readiness_, store_timeout_, logger);
  return probe_->Start(store_kind_ == Config::StoreKind::kCassandra ? api::kCassandraProbeQuery
                                                                    : api::kSqliteProbeQuery);
}

void NodeProbes::Expose(metrics::Registry& registry) const {
  registry.AddCallback("shoal_ready", "1 when GET /_shoal/ready answers 200, else 0",
                       [this] { return int64_t{readiness_.Check().ready ? 1 : 0}; });
  registry.AddCallback("shoal_ready_probes_total",
                       "Probe queries sent to the store for readiness (ready.probe_interval)",
                       [this] { return static_cast<int64_t>(probe_queries()); });
  registry.AddFamilyCallback("shoal_build_info", "The running build: always 1",
                             metrics::Type::kGauge, [](metrics::FamilyWriter& w) {
                               w.Sample({{"version", Version()}, {"revision", Revision()}}, 1);
                             });
}

std::function<void()> NodeProbes::OnSignal() {
  return [this] {
    readiness_.BeginDraining();
    NotifyStopping();
  };
}

void NodeProbes::Serving(const std::string& description) const {
  NotifyReady();
  NotifyStatus(description);
}

void NodeProbes::Stop() {
  if (probe_) probe_->Stop();
}

}  // namespace shoal::cli
