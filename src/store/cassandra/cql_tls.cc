// cql_tls: see cql_tls.h. The files are read with OpenSSL's PEM readers, the same that the
// connection's context uses later, so what passes here loads there.
#include "store/cassandra/cql_tls.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace shoal::store::cassandra {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// NoPassphrase answers OpenSSL's passphrase prompt: an encrypted key is refused, never asked
// for on a terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

Status Bad(const char* key, const std::string& file, const std::string& what) {
  return Status::InvalidArgument(std::string("store.cassandra.tls.") + key + ": " + file + ": " +
                                 what);
}

// Open opens `file` for reading, or says why not.
Result<BioPtr> Open(const char* key, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return Bad(key, file, std::generic_category().message(errno));
  BioPtr bio(BIO_new_fp(f, BIO_CLOSE));
  if (!bio) {
    std::fclose(f);
    return Bad(key, file, "cannot be read");
  }
  return bio;
}

Result<X509Ptr> FirstCertificate(const char* key, const std::string& file) {
  Result<BioPtr> bio = Open(key, file);
  if (!bio.ok()) return bio.status();
  X509Ptr x(PEM_read_bio_X509(bio->get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!x) return Bad(key, file, "holds no PEM certificate");
  return x;
}

}  // namespace

Status CheckTlsFiles(const TlsOptions& tls) {
  if (tls.cert.empty() != tls.key.empty()) {
    return Status::InvalidArgument(
        tls.cert.empty() ? "store.cassandra.tls.key: a client key needs its 'cert'"
                         : "store.cassandra.tls.cert: a client certificate needs its 'key'");
  }
  if (!tls.enabled()) {
    if (!tls.cert.empty()) {
      return Status::InvalidArgument(
          "store.cassandra.tls.cert: a client certificate needs 'ca' (TLS is on only with a CA)");
    }
    return Status();
  }
  if (Result<X509Ptr> ca = FirstCertificate("ca", tls.ca); !ca.ok()) return ca.status();
  if (tls.cert.empty()) return Status();
  Result<X509Ptr> cert = FirstCertificate("cert", tls.cert);
  if (!cert.ok()) return cert.status();
  Result<BioPtr> bio = Open("key", tls.key);
  if (!bio.ok()) return bio.status();
  KeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key) return Bad("key", tls.key, "holds no PEM private key (or it is encrypted)");
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return Bad("key", tls.key, "does not match the certificate in " + tls.cert);
  }
  return Status();
}

}  // namespace shoal::store::cassandra
