// cql_transport: see cql_transport.h.
#include "store/cassandra/cql_transport.h"

namespace shoal::store::cassandra {

Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  return shoal::MakeTlsContext(TlsFiles{.ca = tls.ca, .cert = tls.cert, .key = tls.key},
                               "store.cassandra.tls", TlsRole::kClient);
}

}  // namespace shoal::store::cassandra
