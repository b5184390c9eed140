#include "solr/lucene_footer.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "base/big_endian.h"

namespace shoal::solr {
namespace {

constexpr size_t kStep = size_t{1} << 20;

// Fd closes its descriptor when it goes.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

uint32_t Crc(uint32_t crc, const char* data, size_t n) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data), n));  // NOLINT: zlib takes bytes
}

}  // namespace

Result<Footer> ReadFooter(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::Unavailable(path + ": cannot open: " + ErrnoText(err));
  }
  // The CRC covers every byte but the last 8 (the checksum field), so the reader keeps the
  // file's last 16 bytes out of it until it knows where the file ends.
  std::vector<char> buf(kStep + kFooterSize);
  size_t held = 0;  // bytes in buf not yet hashed (at most the last 16 read, plus a step)
  uint64_t size = 0;
  uint32_t crc = Crc(0, nullptr, 0);
  for (;;) {
    const ssize_t n = ::read(f.fd, buf.data() + held, kStep);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable(path + ": cannot read: " + ErrnoText(errno));
    }
    if (n == 0) break;
    held += static_cast<size_t>(n);
    size += static_cast<uint64_t>(n);
    if (held > kFooterSize) {
      const size_t hash = held - kFooterSize;
      crc = Crc(crc, buf.data(), hash);
      std::memmove(buf.data(), buf.data() + hash, kFooterSize);
      held = kFooterSize;
    }
  }
  if (size < kFooterSize) {
    return Status::InvalidArgument(path + ": " + std::to_string(size) +
                                   " bytes, shorter than a Lucene footer (16)");
  }
  const char* footer = buf.data();  // held == 16 here
  const uint32_t magic = LoadBigEndian32(footer);
  const uint32_t algorithm = LoadBigEndian32(footer + 4);
  const uint64_t stored = LoadBigEndian64(footer + 8);
  if (magic != kFooterMagic) {
    return Status::InvalidArgument(path + ": no Lucene footer (its last 16 bytes lack the magic)");
  }
  if (algorithm != 0) {
    return Status::InvalidArgument(path + ": unknown footer checksum algorithm " +
                                   std::to_string(algorithm));
  }
  if ((stored >> 32) != 0) {
    return Status::InvalidArgument(path + ": the footer's checksum is not a CRC-32");
  }
  crc = Crc(crc, footer, 8);  // the magic and the algorithm are inside the CRC
  return Footer{.stored_crc = static_cast<uint32_t>(stored), .computed_crc = crc, .size = size};
}

Status CheckFooter(const std::string& path, int64_t expected_size, int64_t expected_crc) {
  Result<Footer> f = ReadFooter(path);
  if (!f.ok()) return f.status();
  if (expected_size >= 0 && f->size != static_cast<uint64_t>(expected_size)) {
    return Status::InvalidArgument(path + ": " + std::to_string(f->size) + " bytes, expected " +
                                   std::to_string(expected_size));
  }
  if (f->computed_crc != f->stored_crc) {
    return Status::InvalidArgument(path + ": CRC-32 " + std::to_string(f->computed_crc) +
                                   " of its bytes, but its footer records " +
                                   std::to_string(f->stored_crc));
  }
  if (expected_crc >= 0 && f->stored_crc != static_cast<uint64_t>(expected_crc)) {
    return Status::InvalidArgument(path + ": its footer records CRC-32 " +
                                   std::to_string(f->stored_crc) + ", Solr listed " +
                                   std::to_string(expected_crc));
  }
  return Status::Ok();
}

std::string FooterOf(std::string_view body) {
  std::string footer(kFooterSize, '\0');
  StoreBigEndian32(footer.data(), kFooterMagic);
  StoreBigEndian32(footer.data() + 4, 0);
  uint32_t crc = Crc(Crc(0, nullptr, 0), body.data(), body.size());
  crc = Crc(crc, footer.data(), 8);
  StoreBigEndian64(footer.data() + 8, crc);
  return footer;
}

}  // namespace shoal::solr
