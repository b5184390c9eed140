// ObservedStore: a store::Store that forwards everything to another and tells a Readiness how
// each query ended (Readiness::Record), so that real traffic keeps /_shoal/ready fresh and a
// failing store shows in its reasons as soon as queries fail.
//
// Ownership: owns the inner store; borrows the Readiness, which must outlive it.
// Thread-safety: as the inner store (every method from any thread).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "api/readiness.h"
#include "store/store.h"

namespace shoal::api {

class ObservedStore final : public store::Store {
 public:
  ObservedStore(std::unique_ptr<store::Store> inner, Readiness& readiness)
      : inner_(std::move(inner)), readiness_(readiness) {}

  Result<store::StatementInfo> Prepare(std::string_view query) override {
    return inner_->Prepare(query);
  }
  using Store::Query;
  void Query(size_t id, std::vector<store::Value> params, store::QueryLimits limits,
             TimePoint deadline, store::QueryCallback done) override;
  void Shutdown() override { inner_->Shutdown(); }

  store::Store& inner() { return *inner_; }

 private:
  std::unique_ptr<store::Store> inner_;
  Readiness& readiness_;
};

}  // namespace shoal::api
