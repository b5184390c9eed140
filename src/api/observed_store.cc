// ObservedStore: see observed_store.h.
#include "api/observed_store.h"

#include <utility>

namespace shoal::api {

void ObservedStore::Query(size_t id, std::vector<store::Value> params, store::QueryLimits limits,
                          TimePoint deadline, store::QueryCallback done) {
  // The Readiness outlives the store and every callback it runs (header comment).
  inner_->Query(id, std::move(params), limits, deadline,
                [readiness = &readiness_, done = std::move(done)](Result<store::Rows> rows) {
                  readiness->Record(rows.status());
                  done(std::move(rows));
                });
}

}  // namespace shoal::api
