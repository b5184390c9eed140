// SignalWatcher: see signals.h. An Asio signal_set on an io_context of its own, run by one
// thread: Asio's handler only writes to a pipe, and the callback runs on that thread.
#include "cli/signals.h"

#include <csignal>
#include <exception>
#include <future>
#include <map>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

namespace shoal::cli {

namespace asio = boost::asio;

namespace {

sigset_t OperatorSignals() {
  sigset_t set;
  ::sigemptyset(&set);
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) ::sigaddset(&set, signo);
  return set;
}

}  // namespace

void BlockOperatorSignals() {
  const sigset_t set = OperatorSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

struct SignalWatcher::Impl {
  asio::io_context io{1};
  asio::signal_set signals{io};
  std::map<int, std::function<void()>> callbacks;
  // Asio's clear sets SIG_DFL: the dispositions from before Start are put back by hand.
  std::map<int, struct sigaction> previous;
  std::thread thread;
  bool started = false;

  void Wait() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;  // cancelled by Stop
      if (auto it = callbacks.find(signo); it != callbacks.end()) it->second();
      Wait();
    });
  }
};

SignalWatcher::SignalWatcher() : impl_(std::make_unique<Impl>()) {}

SignalWatcher::~SignalWatcher() {
  // Stop throws only if posting allocates and fails, or join fails: a destructor can do
  // nothing about either, and an exception must not leave it.
  try {
    Stop();
  } catch (...) {
    std::terminate();
  }
}

void SignalWatcher::On(int signo, std::function<void()> callback) {
  impl_->callbacks[signo] = std::move(callback);
}

void SignalWatcher::Start() {
  if (impl_->started) return;
  impl_->started = true;
  for (const auto& entry : impl_->callbacks) {
    ::sigaction(entry.first, nullptr, &impl_->previous[entry.first]);
    impl_->signals.add(entry.first);
  }
  impl_->Wait();
  // Start returns once the thread takes the signals: a caller that then says it is up has no
  // window in which a signal finds no thread to take it and waits.
  std::promise<void> taking;
  std::future<void> taken = taking.get_future();
  impl_->thread = std::thread([impl = impl_.get(), &taking] {
    const sigset_t set = OperatorSignals();
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    taking.set_value();
    impl->io.run();
  });
  taken.wait();
}

void SignalWatcher::Stop() {
  if (!impl_->started || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->signals.clear(ignored);
    impl->signals.cancel(ignored);
  });
  impl_->thread.join();
  for (const auto& [signo, action] : impl_->previous) ::sigaction(signo, &action, nullptr);
}

}  // namespace shoal::cli
