// Intern: see interned.h.
#include "base/interned.h"

#include <memory>
#include <string>
#include <unordered_set>

#include "base/mutex.h"

namespace shoal {

std::string_view Intern(std::string_view s) {
  // Leaked on purpose: views into it must outlive every static destructor that might log.
  static Mutex* const kMu = new Mutex;
  static auto* const kSet = new std::unordered_set<std::string>;
  MutexLock lock(*kMu);
  return *kSet->emplace(s).first;  // node-based: an element never moves once inserted
}

}  // namespace shoal
