// HttpClient: one keep-alive HTTP/1.1 connection to a Solr node, for shoal's commands
// (`shoal solr-fetch`, `shoal load --from solr:`). Blocking calls, made by one thread.
//
// Plain or TLS (base/tls_stream.h: the server's certificate verified against --cacert and the
// host dialled), HTTP basic authentication when a user is given, answers framed by
// Content-Length, chunked encoding or the server closing (Boost.Beast's parser: Solr streams
// files chunked). The connection is kept between calls and made again when the server closed
// it; a call on a kept connection that fails before any byte of its answer is sent once more on
// a new one (the server may have closed it idle).
//
// Deadlines: `timeout` bounds each step (resolve aside): the connect, the handshake, the
// request's write, and each wait for answer bytes. A file stream that keeps moving is never cut;
// one that stalls for `timeout` is (DeadlineExceeded).
//
// Errors: Unavailable for a connection that cannot be made or breaks, or an answer that is not
// HTTP (the message names the node); DeadlineExceeded as above; ResourceExhausted for a whole
// answer over `max_answer`; a sink's own error as it returned it. Any HTTP status is an answer.
//
// Thread-safety: none; one thread uses a client (a parallel fetch has a client per worker).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "base/clock.h"
#include "base/host_port.h"
#include "base/status.h"
#include "base/tls_stream.h"

namespace shoal::solr {

// SolrUrl is a Solr base URL taken apart: http[s]://HOST[:PORT][/PATH] (PATH without its
// trailing '/', e.g. "/solr"; the port defaults to 80 or 443).
struct SolrUrl {
  bool tls = false;
  HostPort host;
  std::string path;
  std::string ToString() const;
};

// ParseSolrUrl: InvalidArgument naming the URL for another scheme, a bad authority, a query or
// a fragment, or user information in the URL (credentials go in --user and the environment).
Result<SolrUrl> ParseSolrUrl(std::string_view url);

struct ClientOptions {
  std::string user;      // basic authentication when not empty
  std::string password;  // with `user`
  std::string cacert;    // PEM CA file for https (required for https)
  Duration timeout = std::chrono::seconds(30);
  size_t max_answer = size_t{64} << 20;  // a whole answer (Get), not a stream
};

struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// PercentEncode encodes a query parameter's value (RFC 3986 unreserved bytes stay).
std::string PercentEncode(std::string_view value);

class HttpClient {
 public:
  using Sink = std::function<Status(std::string_view)>;

  // Make checks the options (the CA file for https) and makes a client (not yet connected).
  static Result<std::unique_ptr<HttpClient>> Make(const SolrUrl& url, ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Get sends GET url.path + `target` (which starts with '/') and reads the whole answer.
  Result<Answer> Get(std::string_view target);

  // Stream sends GET url.path + `target` and hands the answer's body to `sink` as it arrives
  // (only when the status is 200: another status's body is read into the answer, up to
  // max_answer, for the caller's message). Returns the answer without its body for a 200.
  Result<Answer> Stream(std::string_view target, const Sink& sink);

  // where: "HOST:PORT", for messages.
  const std::string& where() const { return where_; }

 private:
  HttpClient(SolrUrl url, ClientOptions options,
             std::shared_ptr<boost::asio::ssl::context> context);
  class Parser;
  Result<Answer> Call(std::string_view target, const Sink* sink);
  Status Connect();
  void Drop();
  // Run runs the io_context until `done` or `timeout` passes; on the timeout it closes the
  // connection (the pending operation then ends) and returns false.
  bool Run(const bool& done);

  const SolrUrl url_;
  const ClientOptions options_;
  const std::string where_;
  std::string authorization_;  // "Authorization: Basic ...\r\n", or ""
  std::shared_ptr<boost::asio::ssl::context> context_;
  boost::asio::io_context io_;
  TlsStream::Strand strand_;
  std::unique_ptr<TlsStream> stream_;  // null when not connected
  std::string buffer_;                 // bytes read and not yet parsed
};

}  // namespace shoal::solr
