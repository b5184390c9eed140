#include "cluster/hot_admission.h"

#include "base/keyed_hash.h"

namespace shoal::cluster {

HotAdmission::HotAdmission(HotAdmissionOptions options)
    : enabled_(options.enabled),
      min_hits_(options.min_hits),
      sketch_({.expected_keys = options.expected_keys}) {}

bool HotAdmission::Admit(std::string_view key) {
  return enabled_ && sketch_.RecordAndAdmit(KeyedHash(key), min_hits_);
}

}  // namespace shoal::cluster
