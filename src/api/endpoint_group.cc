// EndpointGroup: see endpoint_group.h.
#include "api/endpoint_group.h"

#include <string>
#include <unordered_map>

#include "base/interned.h"
#include "base/mutex.h"

namespace shoal::api {

uint32_t EndpointGroup(std::string_view route) {
  // Leaked on purpose, like Intern's set: a Router may be built or dropped during exit.
  static Mutex* const mu = new Mutex;
  static auto* const groups = new std::unordered_map<std::string_view, uint32_t>;
  const std::string_view interned = Intern(route);  // the map's keys must outlive it
  MutexLock lock(*mu);
  const auto next = static_cast<uint32_t>(groups->size() + 1);
  return groups->try_emplace(interned, next).first->second;
}

}  // namespace shoal::api
