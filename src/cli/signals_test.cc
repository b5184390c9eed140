// Tests for SignalWatcher: real signals sent to this process.
#include "cli/signals.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

namespace shoal::cli {
namespace {

bool WaitFor(const std::atomic<int>& n, int want) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (n.load() < want) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(SignalWatcherTest, EachSignalRunsItsOwnCallbackOnTheWatchersThread) {
  std::atomic<int> hups{0}, usr1s{0};
  std::atomic<bool> on_main{false};
  const std::thread::id main_id = std::this_thread::get_id();
  SignalWatcher watcher;
  watcher.On(SIGHUP, [&] {
    if (std::this_thread::get_id() == main_id) on_main = true;
    ++hups;
  });
  watcher.On(SIGUSR1, [&] { ++usr1s; });
  watcher.Start();
  ASSERT_EQ(::raise(SIGHUP), 0);
  ASSERT_TRUE(WaitFor(hups, 1));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(WaitFor(usr1s, 1));
  ASSERT_EQ(::raise(SIGHUP), 0);
  ASSERT_TRUE(WaitFor(hups, 2));
  EXPECT_EQ(usr1s.load(), 1);
  EXPECT_FALSE(on_main.load());
  watcher.Stop();
  watcher.Stop();  // idempotent
}

TEST(SignalWatcherTest, StopRestoresThePreviousDisposition) {
  static std::atomic<int> plain{0};
  struct sigaction old {};
  struct sigaction act {};
  act.sa_handler = [](int) { ++plain; };
  ASSERT_EQ(::sigaction(SIGUSR2, &act, &old), 0);
  {
    std::atomic<int> watched{0};
    SignalWatcher watcher;
    watcher.On(SIGUSR2, [&] { ++watched; });
    watcher.Start();
    ASSERT_EQ(::raise(SIGUSR2), 0);
    ASSERT_TRUE(WaitFor(watched, 1));
  }  // the destructor stops the watcher
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_EQ(plain.load(), 1);
  ::sigaction(SIGUSR2, &old, nullptr);
}

}  // namespace
}  // namespace shoal::cli
