// ReadableByOthers: whether a file's group or others may read it, for the files that hold
// secrets (the config with an inline token, an API keys file). Thread-safe (a stat(2)).
#pragma once

#include <string>

namespace shoal {

// ReadableByOthers reports whether the group or others may read `path`; false when it cannot
// be stat'ed (the read that follows reports that).
bool ReadableByOthers(const std::string& path);

}  // namespace shoal
