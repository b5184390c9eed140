// TlsStream: a TCP socket, or TLS over one, for Asio connections (the Cassandra client and
// the peer port both use it); MakeTlsContext builds the OpenSSL context it runs on.
//
// MakeTlsContext(files, prefix, role): checks the files (tls_files.h: InvalidArgument naming
// `prefix`.ca / .cert / .key) and builds a context: TLS 1.2 minimum, the peer's chain
// verified against `ca`, this end's certificate and key when given, no passphrase prompt. A
// server context also requires a client certificate (mutual TLS): a client that presents
// none fails the handshake.
//
// A TlsStream built with no context is plain TCP: reads and writes go straight to the socket
// (one predictable branch per read or write, no virtual call, no copy), and Handshake
// completes at once. With a context the owner dials (or accepts into) tcp(), runs
// ClientHandshake or ServerHandshake, then reads and writes through the stream. Close closes
// the TCP socket, which also aborts a handshake in progress, so the owner's connect or
// handshake deadline bounds it (a handshake never hangs).
//
// Names: ClientHandshake with verify_host makes the peer's certificate name the host
// dialled (an IP SAN for an address, a DNS SAN for a name, which is also sent as SNI).
// PeerCovers asks the same of a verified peer's certificate after the handshake, for a host
// the peer claims later (the peer port's HELLO).
//
// Thread-safety: none; a TlsStream is used on its connection's strand only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/status.h"
#include "base/tls_files.h"

namespace shoal {

enum class TlsRole { kClient, kServer };

// MakeTlsContext: see above. REQUIRES: files.ca is set.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsFiles& files,
                                                                  std::string_view prefix,
                                                                  TlsRole role);

class TlsStream {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Tcp = boost::asio::ip::tcp;
  using Done = std::function<void(const std::string& error)>;

  // `context` null: plain TCP.
  TlsStream(const Strand& strand, std::shared_ptr<boost::asio::ssl::context> context);

  bool tls() const { return tls_.has_value(); }
  // tcp is the socket to connect (or accept into), set options on and close.
  Tcp::socket& tcp() { return tls_ ? tls_->next_layer() : plain_; }

  // ClientHandshake runs the TLS client handshake for `host` (the name or address dialled)
  // and calls done with an empty string, or with why it failed (FailureText). Plain TCP:
  // done("") at once, on the strand.
  void ClientHandshake(const std::string& host, bool verify_host, Done done);
  // ServerHandshake runs the server side; the client's certificate is verified against the
  // CA (and required: MakeTlsContext's server context). Plain TCP: done("") on the strand.
  void ServerHandshake(Done done);

  // PeerCovers says whether the peer's certificate (verified by the handshake) names `host`:
  // an IP SAN equal to it for an address, a DNS SAN matching it for a name. False on plain TCP
  // or without a peer certificate.
  bool PeerCovers(std::string_view host);

  // FailureText says why a handshake, read or write failed, starting with
  // kVerifyFailed ("certificate verify failed (IP address mismatch)") when this end refused
  // the peer's certificate, kRefusedByPeer ("refused by the peer (tlsv1 alert unknown ca)")
  // when the peer sent a TLS alert (it refused this end's certificate, say; with TLS 1.3 a
  // client learns that only at its first read), else OpenSSL's reason or the socket's error.
  static constexpr std::string_view kVerifyFailed = "certificate verify failed";
  static constexpr std::string_view kRefusedByPeer = "refused by the peer";
  std::string FailureText(const boost::system::error_code& error);

  template <typename Buffers, typename Handler>
  void AsyncReadSome(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      boost::asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      boost::asio::async_write(plain_, buffers, std::forward<Handler>(handler));
    }
  }

  // Close shuts down and closes the TCP socket (no TLS close_notify: the connection is done
  // either way). Idempotent.
  void Close();

 private:
  void Handshake(boost::asio::ssl::stream_base::handshake_type type, Done done);

  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // outlives tls_
  Tcp::socket plain_;
  std::optional<boost::asio::ssl::stream<Tcp::socket>> tls_;
};

}  // namespace shoal
