// cql_transport: the byte stream under a CQL connection, plain TCP or TLS over it.
//
// Internal to cql_connection.cc (it includes Asio's SSL headers, which nothing else in the
// store sees). A Transport owns the TCP socket and, when TLS is on, the OpenSSL stream over
// it; the connection dials tcp(), calls Handshake (a no-op for plain TCP), then reads and
// writes through it. Close closes the TCP socket, which also aborts a handshake in progress
// (the connection's connect deadline does that, so a handshake never hangs).
//
// TLS: MakeTlsContext builds a client context from TlsOptions (cql_tls.h): TLS 1.2 minimum,
// the peer verified against the CA file, the client certificate and key when given. Handshake
// sets SNI (for a name) and, with verify_hostname, the name or IP address the certificate must
// carry. Each connection builds its own context, so a rotated certificate is used from the
// next connection on.
//
// Thread-safety: none; a Transport is used on its connection's strand only.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/status.h"
#include "store/cassandra/cql_tls.h"

namespace shoal::store::cassandra {

// MakeTlsContext checks the files (CheckTlsFiles: InvalidArgument naming the key) and builds
// the context. REQUIRES: tls.enabled().
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsOptions& tls);

class Transport {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Tcp = boost::asio::ip::tcp;

  // `tls` null: plain TCP.
  Transport(const Strand& strand, std::shared_ptr<boost::asio::ssl::context> tls);

  bool tls() const { return tls_.has_value(); }
  // tcp is the socket to connect, set options on and close.
  Tcp::socket& tcp() { return tls_ ? tls_->next_layer() : plain_; }

  // Handshake runs the TLS client handshake for `host` (the name or address dialled) and
  // calls done with an empty string, or with why it failed ("certificate verify failed
  // (unable to get local issuer certificate)"). Plain TCP: done("") at once, on the strand.
  void Handshake(const std::string& host, bool verify_hostname,
                 std::function<void(const std::string& error)> done);

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

  // Close closes the TCP socket (no TLS close_notify: the connection is done either way).
  void Close();

 private:
  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // outlives tls_
  Tcp::socket plain_;
  std::optional<boost::asio::ssl::stream<Tcp::socket>> tls_;
};

}  // namespace shoal::store::cassandra
