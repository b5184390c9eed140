// NextTag walks an entry's tags (cache::Entry::tags(): canonical tags joined by single spaces)
// in a plain loop. Unlike Entry::ForEachTag's callback, a loop keeps clang's thread-safety
// analysis of the caller's lock, so code under a shard's or the sequencer's mutex uses this:
//
//   for (std::string_view rest = entry.tags(), tag; NextTag(&rest, &tag);) { ... }
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace shoal::cache {

// NextTag takes the first tag off `*rest` into *tag; false when none is left.
inline bool NextTag(std::string_view* rest, std::string_view* tag) {
  if (rest->empty()) return false;
  const size_t sp = rest->find(' ');
  *tag = rest->substr(0, sp);
  rest->remove_prefix(sp == std::string_view::npos ? rest->size() : sp + 1);
  return true;
}

}  // namespace shoal::cache
