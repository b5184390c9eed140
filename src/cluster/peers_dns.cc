#include "cluster/peers_dns.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>

#include "cluster/members_message.h"

namespace shoal::cluster {
namespace {

constexpr int kClassIn = 1;
constexpr int kTypeA = 1;
constexpr int kTypeAaaa = 28;
constexpr int kTypeSrv = 33;

// Answer is one query's outcome: the status and the raw reply.
struct Answer {
  int status = ARES_ETIMEOUT;
  std::string reply;
};

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* a = static_cast<Answer*>(arg);
  a->status = status;
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) {
    a->reply.assign(reinterpret_cast<const char*>(abuf), static_cast<size_t>(alen));
  }
}

// Channel is one c-ares channel, driven by poll until its queries are done.
class Channel {
 public:
  explicit Channel(const DnsSource& s) {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options o{};
    o.timeout =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(s.timeout).count());
    o.tries = 2;
    status_ = ares_init_options(&channel_, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status_ == ARES_SUCCESS && !s.server.empty()) {
      status_ = ares_set_servers_ports_csv(channel_, s.server.c_str());
    }
  }
  ~Channel() {
    if (initialised()) ares_destroy(channel_);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  bool initialised() const { return channel_ != nullptr; }
  int status() const { return status_; }

  void Query(const std::string& name, int type, Answer* answer) {
    ares_query(channel_, name.c_str(), kClassIn, type, OnAnswer, answer);
  }

  // Run drives the queries until every callback ran.
  void Run() {
    for (;;) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events != 0) fds.push_back({socks[i], events, 0});
      }
      if (fds.empty()) return;
      timeval tv{};
      timeval* next = ares_timeout(channel_, nullptr, &tv);
      const int ms =
          next == nullptr ? 1000 : static_cast<int>(tv.tv_sec * 1000 + tv.tv_usec / 1000);
      const int n = poll(fds.data(), fds.size(), ms);
      if (n <= 0) {
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
        continue;
      }
      for (const pollfd& p : fds) {
        const bool r = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool w = (p.revents & POLLOUT) != 0;
        if (r || w) {
          ares_process_fd(channel_, r ? p.fd : ARES_SOCKET_BAD, w ? p.fd : ARES_SOCKET_BAD);
        }
      }
    }
  }

 private:
  ares_channel channel_ = nullptr;
  int status_ = ARES_SUCCESS;
};

std::string Error(const std::string& name, int status) {
  return "DNS " + name + ": " + ares_strerror(status);
}

const unsigned char* Bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Addresses parses A and AAAA answers into "ip:port" members.
void Addresses(const Answer& a4, const Answer& a6, uint16_t port, std::vector<std::string>* out) {
  const std::string suffix = ":" + std::to_string(port);
  if (a4.status == ARES_SUCCESS) {
    ares_addrttl addrs[64];
    int n = 64;
    if (ares_parse_a_reply(Bytes(a4.reply), static_cast<int>(a4.reply.size()), nullptr, addrs,
                           &n) == ARES_SUCCESS) {
      for (int i = 0; i < n; ++i) {
        char text[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &addrs[i].ipaddr, text, sizeof text) != nullptr) {
          out->push_back(text + suffix);
        }
      }
    }
  }
  if (a6.status == ARES_SUCCESS) {
    ares_addr6ttl addrs[64];
    int n = 64;
    if (ares_parse_aaaa_reply(Bytes(a6.reply), static_cast<int>(a6.reply.size()), nullptr, addrs,
                              &n) == ARES_SUCCESS) {
      for (int i = 0; i < n; ++i) {
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &addrs[i].ip6addr, text, sizeof text) != nullptr) {
          out->push_back("[" + std::string(text) + "]" + suffix);
        }
      }
    }
  }
}

// Failed: neither query answered with records, and one failed for another reason than "no
// such records".
bool Failed(const Answer& a4, const Answer& a6, int* why) {
  if (a4.status == ARES_SUCCESS || a6.status == ARES_SUCCESS) return false;
  *why = a4.status != ARES_ENODATA ? a4.status : a6.status;
  return true;
}

}  // namespace

Result<std::vector<std::string>> ResolvePeers(const DnsSource& source) {
  Channel channel(source);
  if (channel.status() != ARES_SUCCESS) {
    return Status::Unavailable(Error(source.name, channel.status()));
  }
  std::vector<std::string> members;
  if (source.name.starts_with("_")) {
    Answer srv;
    channel.Query(source.name, kTypeSrv, &srv);
    channel.Run();
    if (srv.status != ARES_SUCCESS) return Status::Unavailable(Error(source.name, srv.status));
    ares_srv_reply* records = nullptr;
    const int parsed =
        ares_parse_srv_reply(Bytes(srv.reply), static_cast<int>(srv.reply.size()), &records);
    if (parsed != ARES_SUCCESS) return Status::Unavailable(Error(source.name, parsed));
    std::vector<std::pair<std::string, uint16_t>> targets;
    for (ares_srv_reply* r = records; r != nullptr; r = r->next)
      targets.emplace_back(r->host, r->port);
    ares_free_data(records);
    std::vector<std::pair<Answer, Answer>> answers(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) {
      channel.Query(targets[i].first, kTypeA, &answers[i].first);
      channel.Query(targets[i].first, kTypeAaaa, &answers[i].second);
    }
    channel.Run();
    for (size_t i = 0; i < targets.size(); ++i) {
      Addresses(answers[i].first, answers[i].second, targets[i].second, &members);
    }
  } else {
    Answer a4, a6;
    channel.Query(source.name, kTypeA, &a4);
    channel.Query(source.name, kTypeAaaa, &a6);
    channel.Run();
    if (int why = 0; Failed(a4, a6, &why)) return Status::Unavailable(Error(source.name, why));
    Addresses(a4, a6, source.port, &members);
  }
  if (members.empty()) return Status::Unavailable("DNS " + source.name + ": no addresses");
  return SortedUnique(std::move(members));
}

}  // namespace shoal::cluster
