// DemoConfigText: the config `shoal demo` serves, the same as examples/catalog/shoal.yaml but
// for the listen address and database path given.
#pragma once

#include <string>

namespace shoal::cli {

std::string DemoConfigText(const std::string& listen, const std::string& db_path);

}  // namespace shoal::cli
