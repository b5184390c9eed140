// TlsFiles: the PEM files of a TLS endpoint, and the check of them that runs at start.
//
// One check for every TLS user (the Cassandra client, store.cassandra.tls; the peer port,
// cluster.tls), so that a missing, unreadable or unparsable file, or a key that does not
// match its certificate, is reported as the operator's mistake naming the config key
// (InvalidArgument "<prefix>.key: FILE: does not match the certificate in FILE") before any
// connection is tried, and never as a peer that does not answer. tls_stream.h builds the
// OpenSSL context from the same files, with the same PEM readers, so what passes here loads
// there. No Asio or OpenSSL type here: the config layer includes this header.
//
// Thread-safety: pure functions over files.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal {

struct TlsFiles {
  std::string ca;    // PEM certificates the peer's chain must lead to
  std::string cert;  // PEM certificate (chain) this end presents
  std::string key;   // PEM private key of `cert`, unencrypted
};

// CheckTlsFiles checks that `ca` holds at least one PEM certificate, `cert` one too, `key` a
// PEM private key matching `cert`, and that cert and key come together. `prefix` names the
// config section in the errors ("store.cassandra.tls" gives "store.cassandra.tls.key: ...").
// With `cert_required`, cert and key must be given (mutual TLS); otherwise they are optional
// (a client that presents no certificate). OK when nothing at all is given and no cert is
// required (TLS off).
Status CheckTlsFiles(const TlsFiles& files, std::string_view prefix, bool cert_required = false);

}  // namespace shoal
