// ResolvePeers: the member list from DNS (cluster.peers_dns), through c-ares.
//
// A name starting with '_' (_service._proto.name) is looked up as SRV: each target is
// resolved to its A/AAAA addresses, with the SRV record's port. Any other name is looked up
// as A and AAAA, with `port` (this node's peer port). Members come out as "ip:port" (IPv6 in
// brackets). `server` ("host:port"), when set, is the one DNS server asked (a test's dnsmasq);
// empty: the system's resolvers (/etc/resolv.conf).
//
// c-ares rather than getaddrinfo: getaddrinfo has no SRV and cannot be pointed at a given
// server and port. An error (no answer in time, NXDOMAIN, no records at all) is returned, so
// the caller keeps its list. Blocking (up to about 2 x timeout per query): called on
// MembershipSync's source thread. Thread-safety: thread-safe (a channel per call).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::cluster {

struct DnsSource {
  std::string name;
  std::string server;                          // host:port; empty: the system's resolvers
  uint16_t port = 0;                           // for A/AAAA answers
  Duration timeout = std::chrono::seconds(1);  // per try; two tries
};

Result<std::vector<std::string>> ResolvePeers(const DnsSource& source);

}  // namespace shoal::cluster
