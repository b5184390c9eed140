// RpcTransport: the real PeerTransport, over rpc::Client (one pooled, multiplexed client per
// peer) and rpc::Server (the peer port), with the cluster messages of messages.h inside the
// frames.
//
// With `tls`, every peer connection is mutual TLS (docs/rpc-format.md, "TLS"): the owner's
// certificate must name the peer's own host (not a connect_to address), the caller's the host
// of the self it claims.
// The rpc handshake binds this node's self and the peer's address (docs/rpc-format.md):
// clients name `self`, the server answers to `self` and asks the PeerService whether the
// caller is a KnownCaller. A peer in `connect_to` is dialled at the address given there (a
// proxy, a tunnel) and still named by its own in the handshake. A GET reply that cannot be decoded,
// and an owner's Cancelled (it is shutting down), are reported as transport failures
// (GetReply::owner_error false): the Cluster loads such keys here. Every other error the owner sent
// is its own answer, and so is an rpc ResourceExhausted (its reply would not fit a frame; or this
// client has max_in_flight calls out): neither means the owner is down. The server drops
// connections silent for idle_timeout; the clients PING every `keepalive` when idle.
//
// Ownership: borrows the Runtime and the Clock, which outlive it; owns the server. The
// PeerClients it returns hold their rpc::Client and may outlive the transport (not the
// Runtime). Thread-safety: thread-safe; Serve and StopServing from one non-Runtime thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/logger.h"
#include "base/tls_files.h"
#include "cluster/peer_transport.h"
#include "rpc/runtime.h"

namespace shoal::rpc {
class Server;
class Handler;
}  // namespace shoal::rpc

namespace shoal::cluster {

struct RpcTransportOptions {
  std::string self;         // this node, host:port: Serve listens on its port
  std::string listen_host;  // where Serve binds; empty: self's host
  std::string secret;       // empty: no peer authentication
  TlsFiles tls;             // mutual TLS on every peer connection; ca empty: plain TCP
  bool insecure = false;    // without a secret or TLS, still dial and listen beyond loopback
  size_t connections = 2;   // per peer
  // Peer host:port -> the host:port its connections go to instead (a proxy in front of it);
  // HELLO still names the peer (rpc::ClientOptions::dial_host). Peers not listed: their own.
  std::map<std::string, std::string> connect_to;
  Duration connect_timeout = std::chrono::milliseconds(500);
  // The longest wait between dials of a peer after failed ones (rpc::ClientOptions). The
  // Cluster sets its probe interval: a longer backoff would turn its probes of a peer that is
  // back into instant refusals, and delay the peer's return by up to this much.
  Duration backoff_max = std::chrono::seconds(2);
  // The server drops a connection silent this long (zero: never); the clients PING a
  // connection that has written nothing for `keepalive` (zero: never). Cluster sets a few
  // probe intervals and one probe interval.
  Duration idle_timeout = Duration::zero();
  Duration keepalive = Duration::zero();
  Logger* logger = &NullLogger();  // passed to the rpc clients and server (component "rpc")
};

class RpcTransport final : public PeerTransport {
 public:
  RpcTransport(rpc::Runtime& runtime, const Clock& clock, RpcTransportOptions options);
  ~RpcTransport() override;  // StopServing()
  RpcTransport(const RpcTransport&) = delete;
  RpcTransport& operator=(const RpcTransport&) = delete;

  std::shared_ptr<PeerClient> Connect(const std::string& peer) override;
  Status Serve(PeerService& service) override;
  uint16_t port() const override;
  void StopServing() override;
  void After(Duration delay, std::function<void()> fn) override;

 private:
  rpc::Runtime& runtime_;
  const Clock& clock_;
  const RpcTransportOptions options_;
  std::unique_ptr<rpc::Handler> handler_;
  std::unique_ptr<rpc::Server> server_;
};

}  // namespace shoal::cluster
