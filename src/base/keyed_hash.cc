#include "base/keyed_hash.h"

#include <cerrno>
#include <cstdlib>

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace shoal {
namespace {

// Fill fills `out` from getrandom(2) (which blocks only until the kernel's pool is first
// seeded, early at boot), falling back to /dev/urandom where the call does not exist.
bool Fill(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(out + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (got == n) return true;
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  got = 0;
  while (got < n) {
    const ssize_t r = read(fd, out + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fd);
  return got == n;
}

}  // namespace

SipKey RandomSipKey() {
  unsigned char bytes[16];
  if (!Fill(bytes, sizeof bytes)) std::abort();
  SipKey key;
  std::memcpy(&key.k0, bytes, 8);
  std::memcpy(&key.k1, bytes + 8, 8);
  return key;
}

}  // namespace shoal
