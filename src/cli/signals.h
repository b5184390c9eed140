// SignalWatcher: runs the operator's signals other than the stopping ones on a thread of its
// own: SIGHUP (reload the config, nginx's and systemd's ExecReload convention) and SIGUSR1
// (reopen log files after logrotate moved them). SIGINT and SIGTERM stay with
// http::Server::StopOnSignals, which drains the listener.
//
// A callback may take its time (a reload prepares every query against the store): it runs on
// the watcher's thread, never on an event loop, and the callbacks of one watcher run one at a
// time, in the order the signals came (two SIGHUPs during one reload give one more reload,
// not two: the kernel merges pending signals of one number).
//
// Until Start, and after Stop, the signals keep their previous disposition (SIGHUP and SIGUSR1
// end the process by default): start the watcher before telling anyone the process is up.
//
// One thread takes every operator signal: BlockOperatorSignals, called before the process
// starts any thread, blocks SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 in the caller and so
// in every thread it starts; the watcher's thread unblocks them. A signal that comes before
// Start waits, pending, until the handlers are installed (it is not lost, nor does it end the
// process half-started); no event loop, store or peer thread is ever interrupted by one (no
// EINTR in their calls); and the handler always runs on a thread that is parked in epoll_wait,
// which matters under ThreadSanitizer: it defers a signal that lands on a thread outside a
// call it knows to block until that thread's next intercepted call, which may never come.
// SIGINT and SIGTERM still reach http::Server's signal set: Asio's handler only writes to a
// pipe that every io_context with a signal set reads.
// Thread-safety: On before Start, on one thread; Start and Stop once each (Stop also from the
// destructor). Not copyable.
#pragma once

#include <functional>
#include <memory>

namespace shoal::cli {

// BlockOperatorSignals blocks the signals above in the calling thread (see above). Call it
// first thing, on the thread that later starts the watcher.
void BlockOperatorSignals();

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();  // Stop()
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // On makes `signo` (SIGHUP, SIGUSR1, SIGUSR2) call `callback`; a second On for the same
  // signal replaces the first. Before Start.
  void On(int signo, std::function<void()> callback);
  // Start installs the handlers and starts the thread, the one thread that unblocks the
  // operator's signals.
  void Start();
  // Stop stops the thread (a callback running finishes first) and restores the previous
  // dispositions. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::cli
