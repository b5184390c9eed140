// OwnNode: a server a test starts for itself with one of the project's scripts
// (scripts/cassandra.sh, scripts/solr.sh), on a port and in a directory of its own, so that
// stopping it or giving it a password touches no test that shares the suite's node. The script
// records the server's pid; `Script("stop")`, and the destructor after a start, stop it by it.
// Thread-compatible.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>

#include <sys/wait.h>

#include "shoal_process.h"

namespace shoal::testing {

class OwnNode {
 public:
  // `script` is relative to the source tree; `env` is the script's environment, as shell
  // assignments ("A=1 B='x'"); the output of every run is appended to `data`.log.
  OwnNode(std::string script, std::string env, std::string data)
      : script_(std::move(script)), env_(std::move(env)), data_(std::move(data)) {}
  OwnNode(const OwnNode&) = delete;
  OwnNode& operator=(const OwnNode&) = delete;
  ~OwnNode() {
    if (started_) Script("stop");
  }

  // Script runs the script with `verb` (start, stop, ...) and returns its exit code.
  int Script(const std::string& verb) {
    const std::string command = env_ + " '" + std::string(SHOAL_SOURCE_DIR) + "/" + script_ + "' " +
                                verb + " >>'" + data_ + ".log' 2>&1";
    const int code = RunShell(command).exit_code;
    if (verb == "start" && code == 0) started_ = true;
    if (verb == "stop") started_ = false;
    return code;
  }
  std::string log() const { return ReadFile(data_ + ".log"); }

 private:
  const std::string script_;
  const std::string env_;
  const std::string data_;
  bool started_ = false;
};

}  // namespace shoal::testing
