// tls_stream: see tls_stream.h.
#include "base/tls_stream.h"

#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace shoal {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsFiles& files, std::string_view prefix,
                                                     TlsRole role) {
  const bool server = role == TlsRole::kServer;
  if (Status st = CheckTlsFiles(files, prefix, server); !st.ok()) return st;
  const std::string p(prefix);
  auto ctx =
      std::make_shared<ssl::context>(server ? ssl::context::tls_server : ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return Status::Internal(p + ": cannot require TLS 1.2");
  }
  // An encrypted key is refused by CheckTlsFiles; never prompt for a passphrase.
  ctx->set_password_callback([](size_t, ssl::context::password_purpose) { return std::string(); });
  boost::system::error_code ec;
  ctx->load_verify_file(files.ca, ec);
  if (ec) return Status::InvalidArgument(p + ".ca: " + files.ca + ": " + ec.message());
  ctx->set_verify_mode(
      server ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert : ssl::verify_peer, ec);
  if (!files.cert.empty()) {
    ctx->use_certificate_chain_file(files.cert, ec);
    if (ec) return Status::InvalidArgument(p + ".cert: " + files.cert + ": " + ec.message());
    ctx->use_private_key_file(files.key, ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument(p + ".key: " + files.key + ": " + ec.message());
  }
  ERR_clear_error();
  return ctx;
}

TlsStream::TlsStream(const Strand& strand, std::shared_ptr<ssl::context> context)
    : strand_(strand), context_(std::move(context)), plain_(strand) {
  if (context_) tls_.emplace(strand, *context_);
}

void TlsStream::ClientHandshake(const std::string& host, bool verify_host, Done done) {
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
  if (verify_host) {
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
  Handshake(ssl::stream_base::client, std::move(done));
}

void TlsStream::ServerHandshake(Done done) {
  if (!tls_) {
    asio::post(strand_, [done = std::move(done)] { done(std::string()); });
    return;
  }
  Handshake(ssl::stream_base::server, std::move(done));
}

void TlsStream::Handshake(ssl::stream_base::handshake_type type, Done done) {
  tls_->async_handshake(type,
                        [this, done = std::move(done)](const boost::system::error_code& error) {
                          done(error ? FailureText(error) : std::string());
                        });
}

std::string TlsStream::FailureText(const boost::system::error_code& error) {
  std::string why;
  const long verify = tls_ ? SSL_get_verify_result(tls_->native_handle()) : X509_V_OK;
  if (verify != X509_V_OK) {
    why = std::string(kVerifyFailed) + " (" + X509_verify_cert_error_string(verify) + ")";
  } else if (error.category() == asio::error::get_ssl_category()) {
    const auto code = static_cast<unsigned long>(error.value());
    const char* reason = ERR_reason_error_string(code);
    why = reason != nullptr ? reason : error.message();
    // Reasons from SSL_AD_REASON_OFFSET up are alerts the peer sent.
    if (ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET) {
      why = std::string(kRefusedByPeer) + " (" + why + ")";
    }
  } else {
    why = error == asio::error::eof ? std::string("closed by the peer") : error.message();
  }
  ERR_clear_error();
  return why;
}

bool TlsStream::PeerCovers(std::string_view host) {
  if (!tls_ || host.empty()) return false;
  X509* cert = SSL_get0_peer_certificate(tls_->native_handle());
  if (cert == nullptr) return false;
  const std::string h(host);
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(h, ec);
  const int ok = !ec ? X509_check_ip_asc(cert, ip.to_string().c_str(), 0)
                     : X509_check_host(cert, h.data(), h.size(),
                                       X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
  ERR_clear_error();
  return ok == 1;
}

void TlsStream::Close() {
  boost::system::error_code ignored;
  tcp().shutdown(Tcp::socket::shutdown_both, ignored);
  tcp().close(ignored);
}

}  // namespace shoal
