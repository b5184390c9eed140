// Process helpers: see shoal_process.h. fork + execv (not posix_spawn) because the child sets
// PR_SET_PDEATHSIG (and, if asked, RLIMIT_NOFILE) between the two; only async-signal-safe
// calls run in the child.
#include "shoal_process.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must name the shoal executable (tests/CMakeLists.txt defines it)"
#endif

namespace shoal::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// Spawn starts `program` (SHOAL_BINARY unless given) with `args`, its stdout on `out_fd` and
// stderr on `err_fd`, with `env` ("NAME=value") added to this process's environment.
// Returns the pid, or -1 with errno set.
pid_t Spawn(const std::vector<std::string>& args, int out_fd, int err_fd,
            std::optional<uint64_t> nofile = {}, const std::string& program = SHOAL_BINARY,
            const std::vector<std::string>& env = {}) {
  // Everything the child needs is built before fork: after it, only syscalls.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(program);
  for (const std::string& a : args) storage.push_back(a);
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = env;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  const pid_t pid = fork();
  if (pid != 0) {
    if (null_fd >= 0) close(null_fd);
    return pid;
  }
  // Child.
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  if (nofile) {
    const rlimit limit{.rlim_cur = *nofile, .rlim_max = *nofile};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
  }
  execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

}  // namespace

std::string ShoalBinary() { return SHOAL_BINARY; }

uint16_t FreeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/shoal-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp(%s): %s\n", pattern.c_str(), std::strerror(errno));
    std::abort();  // a test cannot run without its directory
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::File(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string TempDir::Write(std::string_view name, std::string_view text) const {
  const std::string file = File(name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return file;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

RunResult RunShoal(const std::vector<std::string>& args, Duration timeout) {
  RunResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  const pid_t pid = Spawn(args, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  const auto deadline = SteadyClock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = pid > 0 ? 2 : 0;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(left.count()) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[4096];
      const ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
      if (got > 0) {
        sinks[i]->append(chunk, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  if (pid <= 0) return result;
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = timed_out ? -1 : ExitCodeOf(status);
  return result;
}

Result<std::unique_ptr<ShoalProcess>> ShoalProcess::Serve(const std::string& config_path,
                                                          Duration timeout) {
  return Start({"serve", "-c", config_path}, timeout);
}

Result<std::unique_ptr<ShoalProcess>> ShoalProcess::Start(const std::vector<std::string>& args,
                                                          Duration timeout,
                                                          std::optional<uint64_t> nofile) {
  std::unique_ptr<ShoalProcess> p(new ShoalProcess());
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  p->pid_ = Spawn(args, fds[1], fds[1], nofile);
  close(fds[1]);
  if (p->pid_ < 0) {
    close(fds[0]);
    return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  const int read_fd = fds[0];
  p->reader_ = std::thread([raw = p.get(), read_fd] { raw->ReadLoop(read_fd); });

  // "shoal: serving N endpoints from PATH on http://HOST:PORT\n"
  constexpr std::string_view kServing = "shoal: serving ";
  constexpr std::string_view kOn = " on http://";
  std::unique_lock lock(p->mu_);
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    const size_t at = p->output_.find(kServing);
    const size_t eol = at == std::string::npos ? at : p->output_.find('\n', at);
    if (eol != std::string::npos) {
      const std::string_view line(p->output_.data() + at, eol - at);
      const size_t on = line.rfind(kOn);
      const size_t colon = line.rfind(':');
      uint16_t port = 0;
      if (on != std::string_view::npos && colon != std::string_view::npos && colon > on) {
        auto [end, ec] = std::from_chars(line.data() + colon + 1, line.data() + line.size(), port);
        if (ec == std::errc() && end == line.data() + line.size() && port != 0) {
          p->port_ = port;
          break;
        }
      }
      return Status::Internal("cannot parse the serving line: " + std::string(line));
    }
    if (p->eof_) {
      return Status::Unavailable("shoal exited before serving; its output:\n" + p->output_);
    }
    if (p->cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        SteadyClock::now() >= deadline) {
      return Status::DeadlineExceeded("shoal did not serve in time; its output:\n" + p->output_);
    }
  }
  lock.unlock();
  return p;
}

Result<std::unique_ptr<ShoalProcess>> ShoalProcess::Exec(const std::string& program,
                                                         const std::vector<std::string>& args,
                                                         const std::vector<std::string>& env) {
  std::unique_ptr<ShoalProcess> p(new ShoalProcess());
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  p->pid_ = Spawn(args, fds[1], fds[1], std::nullopt, program, env);
  close(fds[1]);
  if (p->pid_ < 0) {
    close(fds[0]);
    return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  const int read_fd = fds[0];
  p->reader_ = std::thread([raw = p.get(), read_fd] { raw->ReadLoop(read_fd); });
  return p;
}

void ShoalProcess::ReadLoop(int fd) {
  char chunk[4096];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard guard(mu_);
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      break;
    }
    output_.append(chunk, static_cast<size_t>(n));
    cv_.notify_all();
  }
  close(fd);
}

ShoalProcess::~ShoalProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = ExitCodeOf(status);
  }
  // The child is gone, so the pipe reaches EOF and the reader ends.
  if (reader_.joinable()) reader_.join();
}

void ShoalProcess::Signal(int sig) {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

bool ShoalProcess::Running() { return !WaitExit(Duration::zero()).has_value(); }

std::optional<int> ShoalProcess::WaitExit(Duration timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = ExitCodeOf(status);
      // The child's last words may still be in the pipe: read them all before anyone looks
      // at Output(). The pipe reaches EOF now that its only writer is gone.
      if (reader_.joinable()) reader_.join();
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> ShoalProcess::Stop(Duration timeout) {
  Signal(SIGTERM);
  std::optional<int> code = WaitExit(timeout);
  if (!code) AppendStacks();
  return code;
}

void ShoalProcess::AppendStacks() {
  if (pid_ <= 0 || exit_code_) return;
  const RunResult gdb = RunShell("timeout 60 gdb -batch -nx -p " + std::to_string(pid_) +
                                 " -ex 'thread apply all bt 40' 2>&1");
  std::string text = "\n--- shoal did not stop in time: its threads (gdb) ---\n" + gdb.out;
  if (gdb.exit_code != 0) text += "(gdb: exit status " + std::to_string(gdb.exit_code) + ")\n";
  std::lock_guard guard(mu_);
  output_ += text;
}

RunResult RunShell(const std::string& command) {
  RunResult r;
  FILE* f = ::popen(command.c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(f);
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.exit_code = 128 + WTERMSIG(status);
  }
  return r;
}

std::string ShoalProcess::Output() const {
  std::lock_guard guard(mu_);
  return output_;
}

bool ShoalProcess::WaitForOutput(std::string_view text, Duration timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return output_.find(text) != std::string::npos || eof_;
  }) && output_.find(text) != std::string::npos;
}

}  // namespace shoal::testing
