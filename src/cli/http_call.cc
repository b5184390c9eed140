// HttpCall: see http_call.h. POSIX sockets, non-blocking, each wait a poll(2) bounded by the
// call's deadline.
#include "cli/http_call.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shoal::cli {
namespace {

using Deadline = std::chrono::steady_clock::time_point;

constexpr size_t kMaxAnswer = size_t{16} << 20;

int MsLeft(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Fd closes a socket on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status WaitFor(int fd, short events, Deadline deadline) {
  pollfd p{fd, events, 0};
  const int n = ::poll(&p, 1, MsLeft(deadline));
  if (n == 0) return Status::Unavailable("timed out");
  if (n < 0) return Status::Unavailable(ErrnoText(errno));
  return Status::Ok();
}

Result<int> Connect(const HostPort& hp, Deadline deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(hp.port);
  if (const int rc = ::getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::Unavailable(gai_strerror(rc));
  }
  Status last = Status::Unavailable("no address");
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = Status::Unavailable(ErrnoText(errno));
      ::close(fd);
      continue;
    }
    Status s = WaitFor(fd, POLLOUT, deadline);
    int err = 0;
    socklen_t len = sizeof(err);
    if (s.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last = s.ok() ? Status::Unavailable(ErrnoText(err)) : s;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return last;
}

Status SendAll(int fd, std::string_view bytes, Deadline deadline) {
  for (size_t sent = 0; sent < bytes.size();) {
    if (Status s = WaitFor(fd, POLLOUT, deadline); !s.ok()) return s;
    const ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) return Status::Unavailable(ErrnoText(errno));
    if (n > 0) sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// ContentLength finds the Content-Length in a response head (any case); npos without one.
size_t ContentLength(std::string_view head) {
  constexpr std::string_view kName = "\r\ncontent-length:";
  for (size_t at = 0; (at = head.find("\r\n", at)) != std::string_view::npos; at += 2) {
    if (head.size() - at < kName.size()) break;
    bool same = true;
    for (size_t i = 0; i < kName.size() && same; ++i) {
      const char c = head[at + i];
      same = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == kName[i];
    }
    if (same) {
      const std::string digits(head.substr(at + kName.size(), 24));
      return std::strtoull(digits.c_str(), nullptr, 10);
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return Status::InvalidArgument("URL '" + std::string(url) + "' must start with http://");
  }
  const std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  Result<HostPort> hp = ParseHostPort(rest.substr(0, slash), {.default_port = 80});
  if (!hp.ok()) {
    return Status::InvalidArgument("URL '" + std::string(url) +
                                   "': " + std::string(hp.status().message()));
  }
  HttpUrl out{*hp, slash == std::string_view::npos ? "" : std::string(rest.substr(slash))};
  return out;
}

Result<HttpAnswer> HttpCall(const HostPort& host, const HttpRequest& request, Duration timeout) {
  const Deadline deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  const std::string where = host.ToString();
  Result<int> fd = Connect(host, deadline);
  if (!fd.ok()) {
    return Status::Unavailable("cannot connect to " + where + ": " +
                               std::string(fd.status().message()));
  }
  Fd guard{*fd};
  std::string out;
  out.append(request.method).append(" ").append(request.target);
  out.append(" HTTP/1.1\r\nHost: ").append(where);
  out.append("\r\nAccept: application/json\r\nConnection: close\r\n");
  if (!request.body.empty()) {
    out.append("Content-Type: ").append(request.content_type).append("\r\n");
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append(request.extra_headers).append("\r\n").append(request.body);
  if (Status s = SendAll(*fd, out, deadline); !s.ok()) {
    return Status::Unavailable("cannot send to " + where + ": " + std::string(s.message()));
  }
  // Read until the head and Content-Length bytes of body are in (or the server closes).
  std::string in;
  size_t head_end = std::string::npos, want = std::string::npos;
  while (want == std::string::npos || in.size() < want) {
    if (Status s = WaitFor(*fd, POLLIN, deadline); !s.ok()) {
      return Status::Unavailable("no answer from " + where + ": " + std::string(s.message()));
    }
    char buf[16384];
    const ssize_t n = ::recv(*fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return Status::Unavailable("reading from " + where + ": " + ErrnoText(errno));
    }
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxAnswer) return Status::Unavailable(where + ": answer too large");
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      const size_t length = ContentLength(std::string_view(in).substr(0, head_end + 2));
      if (length != std::string::npos) want = head_end + 4 + std::min(length, kMaxAnswer);
    }
  }
  if (head_end == std::string::npos || !in.starts_with("HTTP/1.") || in.size() < 12) {
    return Status::Unavailable(where + " did not answer HTTP");
  }
  if (want != std::string::npos && in.size() < want) {
    return Status::Unavailable(where + " closed the connection in the middle of its answer");
  }
  HttpAnswer answer;
  answer.status = std::atoi(in.c_str() + 9);
  answer.body = in.substr(head_end + 4);
  if (want != std::string::npos) answer.body.resize(want - head_end - 4);
  return answer;
}

}  // namespace shoal::cli
