// cql_transport: see cql_transport.h.
#include "store/cassandra/cql_transport.h"

#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace shoal::store::cassandra {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  if (Status st = CheckTlsFiles(tls); !st.ok()) return st;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return Status::Internal("cassandra: TLS: cannot require TLS 1.2");
  }
  // An encrypted key is refused by CheckTlsFiles; never prompt for a passphrase.
  ctx->set_password_callback([](size_t, ssl::context::password_purpose) { return std::string(); });
  boost::system::error_code ec;
  ctx->load_verify_file(tls.ca, ec);
  if (ec) {
    return Status::InvalidArgument("store.cassandra.tls.ca: " + tls.ca + ": " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (!tls.cert.empty()) {
    ctx->use_certificate_chain_file(tls.cert, ec);
    if (ec) {
      return Status::InvalidArgument("store.cassandra.tls.cert: " + tls.cert + ": " + ec.message());
    }
    ctx->use_private_key_file(tls.key, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("store.cassandra.tls.key: " + tls.key + ": " + ec.message());
    }
  }
  ERR_clear_error();
  return ctx;
}

Transport::Transport(const Strand& strand, std::shared_ptr<ssl::context> tls)
    : strand_(strand), context_(std::move(tls)), plain_(strand) {
  if (context_) tls_.emplace(strand, *context_);
}

void Transport::Handshake(const std::string& host, bool verify_hostname,
                          std::function<void(const std::string&)> done) {
  if (!tls_) {
    asio::post(strand_, [done = std::move(done)] { done(std::string()); });
    return;
  }
  SSL* ssl_handle = tls_->native_handle();
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  if (!is_ip) {  // SNI is for names only. (SSL_set_tlsext_host_name, without its C cast.)
    SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }
  if (verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str())
                         : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1) {
      ERR_clear_error();
      asio::post(strand_, [done = std::move(done), host] {
        done("cannot verify the host name '" + host + "'");
      });
      return;
    }
  }
  tls_->async_handshake(ssl::stream_base::client, [this, done = std::move(done)](
                                                      const boost::system::error_code& error) {
    if (!error) return done(std::string());
    std::string why;
    const long verify = SSL_get_verify_result(tls_->native_handle());
    if (verify != X509_V_OK) {
      why =
          std::string("certificate verify failed (") + X509_verify_cert_error_string(verify) + ")";
    } else if (error.category() == asio::error::get_ssl_category()) {
      const char* reason = ERR_reason_error_string(static_cast<unsigned long>(error.value()));
      why = reason != nullptr ? reason : error.message();
    } else {
      why = error == asio::error::eof ? std::string("closed by the server") : error.message();
    }
    ERR_clear_error();
    done(why);
  });
}

void Transport::Close() {
  boost::system::error_code ignored;
  tcp().close(ignored);
}

}  // namespace shoal::store::cassandra
