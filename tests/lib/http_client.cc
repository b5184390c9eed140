// HttpClient: see http_client.h. Blocking calls bounded by poll(2) deadlines.
#include "http_client.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

namespace shoal::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool SameIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

// MillisLeft is the poll(2) timeout until `deadline`, at least 0.
int MillisLeft(SteadyClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
}

// WaitFor polls `fd` for `events` until `deadline`: true when ready (or in error, which the
// following read or write reports).
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;
  }
}

std::optional<uint64_t> ParseUnsigned(std::string_view s, int base = 10) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (SameIgnoreCase(k, name)) return v;
  }
  return {};
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& kv : headers) {
    if (SameIgnoreCase(kv.first, name)) return true;
  }
  return false;
}

Result<HttpClient> HttpClient::Connect(uint16_t port, Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  HttpClient client(fd, timeout);  // closes fd on every early return below
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // sockaddr_in is what connect(2) takes as a sockaddr: the POSIX idiom, no other way.
  const void* raw = &addr;
  if (connect(fd, static_cast<const sockaddr*>(raw), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      return Status::Unavailable(std::string("connect: ") + std::strerror(errno));
    }
    if (!WaitFor(fd, POLLOUT, SteadyClock::now() + timeout)) {
      return Status::DeadlineExceeded("connect: timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Status::Unavailable(std::string("connect: ") + std::strerror(err));
  }
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      timeout_(other.timeout_),
      buffer_(std::move(other.buffer_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpClient::~HttpClient() {
  if (fd_ >= 0) close(fd_);
}

Status HttpClient::Send(std::string_view bytes) {
  const auto deadline = SteadyClock::now() + timeout_;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd_, POLLOUT, deadline)) return Status::DeadlineExceeded("send: timed out");
      continue;
    }
    return Status::Unavailable(std::string("send: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status HttpClient::Fill(SteadyClock::time_point deadline) {
  char chunk[16384];
  while (true) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Status::Unavailable("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::Unavailable(std::string("recv: ") + std::strerror(errno));
    }
    if (!WaitFor(fd_, POLLIN, deadline)) return Status::DeadlineExceeded("recv: timed out");
  }
}

Status HttpClient::Need(size_t n, SteadyClock::time_point deadline) {
  while (buffer_.size() < n) {
    if (Status s = Fill(deadline); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Read(bool head) {
  const auto deadline = SteadyClock::now() + timeout_;
  size_t end = 0;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (Status s = Fill(deadline); !s.ok()) return s;
  }
  HttpResponse r;
  std::string_view head_text(buffer_.data(), end + 2);  // through the last header's CRLF
  size_t eol = head_text.find("\r\n");
  const std::string_view status_line = head_text.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') {
    return Status::InvalidArgument("bad status line: " + std::string(status_line));
  }
  const std::optional<uint64_t> code = ParseUnsigned(status_line.substr(9, 3));
  if (!code) return Status::InvalidArgument("bad status code: " + std::string(status_line));
  r.status = static_cast<int>(*code);
  if (status_line.size() > 13) r.reason = std::string(status_line.substr(13));
  head_text.remove_prefix(eol + 2);
  while (!head_text.empty()) {
    eol = head_text.find("\r\n");
    const std::string_view line = head_text.substr(0, eol);
    head_text.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("bad header line: " + std::string(line));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  buffer_.erase(0, end + 4);

  const bool no_body = head || r.status / 100 == 1 || r.status == 204 || r.status == 304;
  if (no_body) return r;
  if (SameIgnoreCase(r.Header("Transfer-Encoding"), "chunked")) {
    while (true) {
      size_t line_end = 0;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (Status s = Fill(deadline); !s.ok()) return s;
      }
      std::string_view size_text(buffer_.data(), line_end);
      size_text = size_text.substr(0, size_text.find(';'));
      const std::optional<uint64_t> size = ParseUnsigned(size_text, 16);
      if (!size) return Status::InvalidArgument("bad chunk size");
      buffer_.erase(0, line_end + 2);
      if (*size == 0) {  // trailers (none expected), then the final CRLF
        size_t trailer_end = 0;
        while ((trailer_end = buffer_.find("\r\n")) == std::string::npos) {
          if (Status s = Fill(deadline); !s.ok()) return s;
        }
        buffer_.erase(0, trailer_end + 2);
        return r;
      }
      if (Status s = Need(*size + 2, deadline); !s.ok()) return s;
      r.body.append(buffer_, 0, *size);
      buffer_.erase(0, *size + 2);
    }
  }
  const std::string length_text = r.Header("Content-Length");
  if (!length_text.empty()) {
    const std::optional<uint64_t> length = ParseUnsigned(length_text);
    if (!length) return Status::InvalidArgument("bad Content-Length: " + length_text);
    if (Status s = Need(*length, deadline); !s.ok()) return s;
    r.body = buffer_.substr(0, *length);
    buffer_.erase(0, *length);
    return r;
  }
  // No framing: the body runs to the end of the connection.
  while (true) {
    Status s = Fill(deadline);
    if (s.code() == StatusCode::kUnavailable) break;
    if (!s.ok()) return s;
  }
  r.body = std::move(buffer_);
  buffer_.clear();
  return r;
}

Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                         std::string_view extra_headers) {
  if (Status s = Send(RequestText(method, target, extra_headers)); !s.ok()) return s;
  return Read(method == "HEAD");
}

Result<HttpResponse> HttpClient::RequestWithBody(std::string_view method, std::string_view target,
                                                 std::string_view body,
                                                 std::string_view content_type) {
  std::string headers = "Content-Type: " + std::string(content_type) +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  std::string text = RequestText(method, target, headers);
  text.append(body);
  if (Status s = Send(text); !s.ok()) return s;
  return Read(method == "HEAD");
}

bool HttpClient::WaitClosed(Duration timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    Status s = Fill(deadline);
    if (s.code() == StatusCode::kUnavailable) return true;
    if (!s.ok()) return false;
  }
}

std::string RequestText(std::string_view method, std::string_view target,
                        std::string_view extra_headers) {
  std::string text;
  text.reserve(64 + target.size() + extra_headers.size());
  text.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: shoal.test\r\n");
  text.append(extra_headers).append("\r\n");
  return text;
}

Result<std::string> Gunzip(std::string_view compressed) {
  z_stream z{};
  // 16 + MAX_WBITS: expect the gzip wrapper, not zlib's.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Status::Internal("inflateInit2 failed");
  // zlib's API is not const-correct; it never writes through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended before the stream did
  }
  const bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::InvalidArgument("not a complete gzip stream");
  if (trailing) return Status::InvalidArgument("bytes after the gzip stream");
  return out;
}

std::optional<double> MetricValue(std::string_view exposition, std::string_view name) {
  while (!exposition.empty()) {
    const size_t eol = exposition.find('\n');
    const std::string_view line = exposition.substr(0, eol);
    exposition = eol == std::string_view::npos ? std::string_view() : exposition.substr(eol + 1);
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ' ') {
      const std::string value(line.substr(name.size() + 1));
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str()) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

Result<double> ScrapeMetric(uint16_t port, std::string_view name) {
  Result<HttpClient> client = HttpClient::Connect(port);
  if (!client.ok()) return client.status();
  Result<HttpResponse> r = client->Get("/_shoal/metrics");
  if (!r.ok()) return r.status();
  if (r->status != 200) return Status::Internal("metrics: status " + std::to_string(r->status));
  const std::optional<double> v = MetricValue(r->body, name);
  if (!v) return Status::NotFound("metric " + std::string(name) + " not exposed");
  return *v;
}

}  // namespace shoal::testing
