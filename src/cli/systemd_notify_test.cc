// systemd notifications over a real AF_UNIX datagram socket named by NOTIFY_SOCKET, as systemd
// provides it to a Type=notify service.
#include "cli/systemd_notify.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/test_temp_dir.h"

namespace shoal::cli {
namespace {

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof(addr.sun_path));
    path_.copy(addr.sun_path, path_.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the test's one thread; sd_notify reads it.
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe): the test's one thread
    if (fd_ >= 0) ::close(fd_);
  }

  std::string Receive() const {
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  shoal::testing::TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(SystemdNotifyTest, SendsReadyStoppingAndStatus) {
  EXPECT_TRUE(NotifyReady());
  EXPECT_EQ(Receive(), "READY=1");
  EXPECT_TRUE(NotifyStatus("serving http://127.0.0.1:8080\nsecond line"));
  EXPECT_EQ(Receive(), "STATUS=serving http://127.0.0.1:8080 second line");
  EXPECT_TRUE(NotifyStopping());
  EXPECT_EQ(Receive(), "STOPPING=1");
}

TEST_F(SystemdNotifyTest, ReloadingCarriesTheMonotonicClockInMicroseconds) {
  timespec before{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  EXPECT_TRUE(NotifyReloading());
  timespec after{};
  clock_gettime(CLOCK_MONOTONIC, &after);
  const std::string got = Receive();
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(got.substr(0, prefix.size()), prefix) << got;
  const long long usec = std::stoll(got.substr(prefix.size()));
  EXPECT_GE(usec, before.tv_sec * 1000000LL + before.tv_nsec / 1000);
  EXPECT_LE(usec, after.tv_sec * 1000000LL + after.tv_nsec / 1000);
  EXPECT_TRUE(NotifyReady());
  EXPECT_EQ(Receive(), "READY=1");
}

TEST_F(SystemdNotifyTest, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe): the test's one thread
  EXPECT_FALSE(NotifyReady());
  EXPECT_FALSE(NotifyStopping());
}

}  // namespace
}  // namespace shoal::cli
