// cql_tls: the TLS settings of the Cassandra client and the checks of their files.
//
// TlsOptions is what a connection needs to speak TLS (cql_transport.h builds the OpenSSL
// context from it); CheckTlsFiles is the check `shoal check-config` and Connect both run, so
// a missing, unreadable or unparsable file is reported as the operator's mistake
// (InvalidArgument naming the config key, store.cassandra.tls.ca ...) and never as a node
// that does not answer. Both are the shared base/tls_files.h check under this section's
// name. No Asio here: the config layer includes this header.
//
// Thread-safety: pure functions over files.
#pragma once

#include <string>

#include "base/status.h"

namespace shoal::store::cassandra {

struct TlsOptions {
  // PEM files. TLS is on when `ca` is set: every connection then verifies the node's
  // certificate chain against `ca` (TLS 1.2 or later). `cert` and `key` (both or neither)
  // are the client certificate, sent when the server asks for one.
  std::string ca;
  std::string cert;
  std::string key;
  // The node's certificate must name the host dialled: a DNS SAN for a name (which is also
  // sent as SNI), an IP SAN for an address.
  bool verify_hostname = true;

  bool enabled() const { return !ca.empty(); }
};

// CheckTlsFiles checks that `ca` holds at least one PEM certificate, `cert` one too, `key` a
// PEM private key matching `cert`, and that cert and key come together. The error names the
// key (store.cassandra.tls.ca, .cert, .key), the file and what is wrong with it. OK when TLS
// is off and no cert or key is given.
Status CheckTlsFiles(const TlsOptions& tls);

}  // namespace shoal::store::cassandra
