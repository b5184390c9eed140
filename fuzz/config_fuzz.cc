// libFuzzer target: the config parser (cli/config.h), which reads whatever file an operator
// points it at. Any bytes must give a Config or an error that names the file and a line,
// never a crash, a hang or an exception escaping ParseConfig.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  shoal::Result<shoal::cli::Config> c = shoal::cli::ParseConfig(text, "fuzz.yaml");
  if (!c.ok() && !c.status().message().starts_with("fuzz.yaml:")) std::abort();
  return 0;
}
