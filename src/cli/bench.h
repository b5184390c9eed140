// `shoal bench URL --paths FILE [options]`: parses the arguments, runs loadgen::Run, and
// prints the progress table and summary (stderr) and the JSON report (stdout or --json FILE),
// and the SVG chart with --svg. See loadgen/loadgen.h for what the run measures.
// Thread-safety: a blocking call, from the main thread.
#pragma once

#include <string>
#include <vector>

namespace shoal::cli {

// BenchCommand runs `shoal bench` with its arguments (after the word "bench"); returns the
// exit status: 0 when the run had no errors and no timeouts, 1 otherwise, 2 for a usage error.
int BenchCommand(const std::vector<std::string>& args);

}  // namespace shoal::cli
