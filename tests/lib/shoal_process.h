// Process helpers for tests that run the real `shoal` binary (SHOAL_BINARY): a temporary
// directory, a one-shot run that captures the exit code and output, and a running server.
//
// ShoalProcess starts `shoal serve -c FILE` (or any argument list that serves; or, with Exec,
// another program a test needs), reads its
// stdout and stderr through one pipe on a reader thread, waits for the line
// "shoal: serving ... on http://HOST:PORT" and parses the port. Stop sends SIGTERM to the pid
// and waits for the exit code. Every wait has a deadline. The destructor kills (SIGKILL) a
// child still running, so a failed test never leaves a server behind; the child also gets
// SIGKILL if the thread that started it dies (PR_SET_PDEATHSIG), which covers a test binary
// that crashes. So start processes from the test's main thread, never from a helper thread
// that ends first.
//
// Ownership: a ShoalProcess owns its child (reaps it), the pipe and the reader thread.
// TempDir owns its directory tree and removes it. Thread-safety: Output, WaitForOutput and
// port are safe from any thread; the lifecycle calls (Signal, WaitExit, Stop, destructor)
// belong to the thread that started the process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::testing {

// TempDir is a fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // File returns path()/name (without creating it).
  std::string File(std::string_view name) const;
  // Write writes `text` to path()/name and returns that path.
  std::string Write(std::string_view name, std::string_view text) const;

 private:
  std::string path_;
};

// ReadFile returns the contents of `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

struct RunResult {
  int exit_code = -1;  // 128 + signal if killed by one; -1 if it did not finish in time
  std::string out;     // stdout
  std::string err;     // stderr
};

// FreeLocalPort asks the kernel for a free port on 127.0.0.1 (0 if it cannot). Another
// process could take it before a node binds it; on a test box that is rare, and the node's
// start then fails loudly.
uint16_t FreeLocalPort();

// ShoalBinary is the path of the shoal executable under test (SHOAL_BINARY).
std::string ShoalBinary();

// RunShell runs `command` with /bin/sh to completion and returns its exit code (128 + signal
// if a signal ended it, -1 if it could not start) and its standard output (`err` stays empty:
// add 2>&1 to the command to have both).
RunResult RunShell(const std::string& command);

// RunShoal runs SHOAL_BINARY with `args` to completion (SIGKILL after `timeout`).
RunResult RunShoal(const std::vector<std::string>& args,
                   Duration timeout = std::chrono::seconds(60));

class ShoalProcess {
 public:
  // Serve starts `shoal serve -c config_path` and waits up to `timeout` for it to serve.
  static Result<std::unique_ptr<ShoalProcess>> Serve(const std::string& config_path,
                                                     Duration timeout = std::chrono::seconds(60));
  // Start runs SHOAL_BINARY with `args` (e.g. {"demo", "--listen", "127.0.0.1:0"}) and waits
  // for the serving line. Unavailable (with the output so far) if the process exits first,
  // DeadlineExceeded if the line does not come in time.
  // `nofile`, when given, is set as both the soft and the hard RLIMIT_NOFILE of the child
  // before it runs shoal (as `ulimit -n N` in a shell would).
  static Result<std::unique_ptr<ShoalProcess>> Start(const std::vector<std::string>& args,
                                                     Duration timeout,
                                                     std::optional<uint64_t> nofile = {});

  // Exec starts any `program` with `args` (a helper server a test needs, such as Toxiproxy),
  // with `env` ("NAME=value") added to the environment, under the same rules as shoal (output
  // kept, SIGKILL on destruction and when the starting thread dies). It waits for nothing:
  // the caller asks the program whether it is ready. port() is 0.
  static Result<std::unique_ptr<ShoalProcess>> Exec(const std::string& program,
                                                    const std::vector<std::string>& args,
                                                    const std::vector<std::string>& env = {});

  ~ShoalProcess();
  ShoalProcess(const ShoalProcess&) = delete;
  ShoalProcess& operator=(const ShoalProcess&) = delete;

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

  // Signal sends `sig` to the child if it has not been reaped yet.
  void Signal(int sig);
  // Running reports whether the child has not exited yet (reaping it if it has).
  bool Running();
  // WaitExit waits up to `timeout` for the child to exit; its exit code (128 + signal if a
  // signal ended it), or nullopt if it is still running.
  std::optional<int> WaitExit(Duration timeout);
  // AppendStacks adds the running child's thread stacks (gdb -batch) to Output().
  void AppendStacks();
  // Stop sends SIGTERM and waits for the exit code, as WaitExit. When the child does not stop
  // in time, every thread's stack (gdb, if installed) is added to Output(), which the failing
  // test prints: a hang on a loaded CI box is then diagnosable after the fact.
  std::optional<int> Stop(Duration timeout = std::chrono::seconds(60));

  // Output is everything the child wrote to stdout and stderr so far.
  std::string Output() const;
  // WaitForOutput waits until Output() contains `text`; false at the deadline or at EOF
  // without it.
  bool WaitForOutput(std::string_view text, Duration timeout) const;

 private:
  ShoalProcess() = default;
  void ReadLoop(int fd);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;  // set once reaped
  uint16_t port_ = 0;
  std::thread reader_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string output_;  // guarded by mu_
  bool eof_ = false;    // guarded by mu_
};

}  // namespace shoal::testing
