// tls_files: see tls_files.h. The files are read with OpenSSL's PEM readers.
#include "base/tls_files.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace shoal {

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

class Checker {
 public:
  explicit Checker(std::string_view prefix) : prefix_(prefix) {}

  Status Bad(const char* key, const std::string& what) const {
    return Status::InvalidArgument(std::string(prefix_) + "." + key + ": " + what);
  }
  Status Bad(const char* key, const std::string& file, const std::string& what) const {
    return Bad(key, file + ": " + what);
  }

  // Open opens `file` for reading, or says why not.
  Result<BioPtr> Open(const char* key, const std::string& file) const {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (f == nullptr) return Bad(key, file, ErrnoText(errno));
    BioPtr bio(BIO_new_fp(f, BIO_CLOSE));
    if (!bio) {
      std::fclose(f);
      return Bad(key, file, "cannot be read");
    }
    return bio;
  }

  Result<X509Ptr> FirstCertificate(const char* key, const std::string& file) const {
    Result<BioPtr> bio = Open(key, file);
    if (!bio.ok()) return bio.status();
    X509Ptr x(PEM_read_bio_X509(bio->get(), nullptr, NoPassphrase, nullptr));
    ERR_clear_error();
    if (!x) return Bad(key, file, "holds no PEM certificate");
    return x;
  }

 private:
  std::string_view prefix_;
};

}  // namespace

Status CheckTlsFiles(const TlsFiles& files, std::string_view prefix, bool cert_required) {
  const Checker c(prefix);
  if (cert_required) {
    if (files.ca.empty())
      return c.Bad("ca", "is required (the CA the peers' certificates lead to)");
    if (files.cert.empty()) return c.Bad("cert", "is required (this node's certificate)");
    if (files.key.empty()) return c.Bad("key", "is required (the private key of 'cert')");
  }
  if (files.cert.empty() != files.key.empty()) {
    return files.cert.empty() ? c.Bad("key", "a client key needs its 'cert'")
                              : c.Bad("cert", "a client certificate needs its 'key'");
  }
  if (files.ca.empty()) {
    if (!files.cert.empty()) {
      return c.Bad("cert", "a client certificate needs 'ca' (TLS is on only with a CA)");
    }
    return Status();
  }
  if (Result<X509Ptr> ca = c.FirstCertificate("ca", files.ca); !ca.ok()) return ca.status();
  if (files.cert.empty()) return Status();
  Result<X509Ptr> cert = c.FirstCertificate("cert", files.cert);
  if (!cert.ok()) return cert.status();
  Result<BioPtr> bio = c.Open("key", files.key);
  if (!bio.ok()) return bio.status();
  KeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key) return c.Bad("key", files.key, "holds no PEM private key (or it is encrypted)");
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return c.Bad("key", files.key, "does not match the certificate in " + files.cert);
  }
  return Status();
}

}  // namespace shoal
