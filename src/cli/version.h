// The build's identity, for `shoal --version` and the shoal_build_info metric: the CMake
// project version and the git revision the binary was built from. Defined in version.cc,
// which the build writes from version.cc.in (cmake/version.cmake): a new revision recompiles
// that one file. Thread-safe (constants).
#pragma once

#include <string_view>

namespace shoal::cli {

// Version is the project version, e.g. "0.1.0".
std::string_view Version();
// Revision is `git rev-parse --short HEAD` at build time, or "unknown" outside a git tree.
std::string_view Revision();

}  // namespace shoal::cli
