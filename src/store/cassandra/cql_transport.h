// cql_transport: the byte stream under a CQL connection, plain TCP or TLS over it.
//
// Internal to cql_connection.cc (it includes Asio's SSL headers, which nothing else in the
// store sees). The stream is base/tls_stream.h's TlsStream, shared with the peer port: the
// connection dials tcp(), calls ClientHandshake (a no-op for plain TCP), then reads and
// writes through it. Close closes the TCP socket, which also aborts a handshake in progress
// (the connection's connect deadline does that, so a handshake never hangs).
//
// TLS: MakeTlsContext builds a client context from TlsOptions (cql_tls.h): TLS 1.2 minimum,
// the peer verified against the CA file, the client certificate and key when given.
// ClientHandshake sets SNI (for a name) and, with verify_hostname, the name or IP address the
// certificate must carry. Each connection builds its own context, so a rotated certificate is
// used from the next connection on.
//
// Thread-safety: none; a Transport is used on its connection's strand only.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "base/status.h"
#include "base/tls_stream.h"
#include "store/cassandra/cql_tls.h"

namespace shoal::store::cassandra {

// MakeTlsContext checks the files (CheckTlsFiles: InvalidArgument naming the key) and builds
// the context. REQUIRES: tls.enabled().
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsOptions& tls);

using Transport = TlsStream;

}  // namespace shoal::store::cassandra
