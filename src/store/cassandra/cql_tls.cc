// cql_tls: see cql_tls.h. The check itself is base/tls_files.h, shared with the peer port.
#include "store/cassandra/cql_tls.h"

#include "base/tls_files.h"

namespace shoal::store::cassandra {

Status CheckTlsFiles(const TlsOptions& tls) {
  return shoal::CheckTlsFiles(TlsFiles{.ca = tls.ca, .cert = tls.cert, .key = tls.key},
                              "store.cassandra.tls");
}

}  // namespace shoal::store::cassandra
