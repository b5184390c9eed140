// EndpointGroup: see endpoint_group.h.
#include "api/endpoint_group.h"

#include <string>
#include <unordered_map>

#include "base/interned.h"
#include "base/mutex.h"

namespace shoal::api {

uint32_t EndpointGroup(std::string_view route) {
  // Leaked on purpose, like Intern's set: a Router may be built or dropped during exit.
  static Mutex* const kMu = new Mutex;
  static auto* const kGroups = new std::unordered_map<std::string_view, uint32_t>;
  const std::string_view interned = Intern(route);  // the map's keys must outlive it
  MutexLock lock(*kMu);
  const auto next = static_cast<uint32_t>(kGroups->size() + 1);
  return kGroups->try_emplace(interned, next).first->second;
}

}  // namespace shoal::api
