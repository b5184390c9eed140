#include "solr/http_client.h"

#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "base/base64.h"
#include "base/log_escape.h"
#include "base/tls_files.h"

namespace shoal::solr {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

std::string SolrUrl::ToString() const {
  return std::string(tls ? "https://" : "http://") + host.ToString() + path;
}

Result<SolrUrl> ParseSolrUrl(std::string_view url) {
  SolrUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Status::InvalidArgument("URL '" + EscapeForLog(url) +
                                   "' must start with http:// or https://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument("URL '" + EscapeForLog(url) +
                                   "': give Solr's base URL, without a query");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("URL '" + EscapeForLog(url) +
                                   "': no credentials in the URL; use --user and the "
                                   "password's environment variable");
  }
  Result<HostPort> hp = ParseHostPort(
      authority,
      {.default_port = static_cast<uint16_t>(out.tls ? 443 : 80), .allow_port_zero = false});
  if (!hp.ok()) {
    return Status::InvalidArgument("URL '" + EscapeForLog(url) +
                                   "': " + std::string(hp.status().message()));
  }
  out.host = std::move(*hp);
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// Parser: Beast's HTTP/1.1 response parser, handing the body on as it is decoded.
class HttpClient::Parser : public http::basic_parser<false> {
 public:
  Parser(Answer* answer, const Sink* sink, size_t max_answer)
      : answer_(answer), sink_(sink), max_answer_(max_answer) {}
  const Status& sink_status() const { return sink_status_; }
  bool started() const { return started_; }
  void Started() { started_ = true; }

 private:
  void on_request_impl(http::verb /*method*/, boost::beast::string_view /*method_str*/,
                       boost::beast::string_view /*target*/, int /*version*/,
                       error_code& /*ec*/) override {}
  void on_response_impl(int code, boost::beast::string_view /*reason*/, int /*version*/,
                        error_code& /*ec*/) override {
    answer_->status = code;
  }
  void on_field_impl(http::field name, boost::beast::string_view /*name_string*/,
                     boost::beast::string_view value, error_code& /*ec*/) override {
    if (name == http::field::content_type) answer_->content_type = std::string(value);
  }
  void on_header_impl(error_code& /*ec*/) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& /*length*/,
                         error_code& /*ec*/) override {}
  size_t on_body_impl(boost::beast::string_view body, error_code& ec) override {
    Take(std::string_view(body.data(), body.size()), ec);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t /*size*/, boost::beast::string_view /*extensions*/,
                            error_code& /*ec*/) override {}
  size_t on_chunk_body_impl(std::uint64_t /*remain*/, boost::beast::string_view body,
                            error_code& ec) override {
    Take(std::string_view(body.data(), body.size()), ec);
    return body.size();
  }
  void on_finish_impl(error_code& /*ec*/) override {}

  void Take(std::string_view piece, error_code& ec) {
    if (sink_ != nullptr && answer_->status == 200) {
      sink_status_ = (*sink_)(piece);
    } else if (answer_->body.size() + piece.size() > max_answer_) {
      sink_status_ =
          Status::ResourceExhausted("an answer over " + std::to_string(max_answer_) + " bytes");
    } else {
      answer_->body.append(piece);
    }
    if (!sink_status_.ok()) ec = asio::error::operation_aborted;
  }

  Answer* answer_;
  const Sink* sink_;
  const size_t max_answer_;
  Status sink_status_;
  bool started_ = false;  // some byte of the answer has arrived
};

Result<std::unique_ptr<HttpClient>> HttpClient::Make(const SolrUrl& url, ClientOptions options) {
  std::shared_ptr<asio::ssl::context> context;
  if (url.tls) {
    if (options.cacert.empty()) {
      return Status::InvalidArgument(url.ToString() + " is https: give its CA with --cacert");
    }
    Result<std::shared_ptr<asio::ssl::context>> made = MakeTlsContext(
        TlsFiles{.ca = options.cacert, .cert = "", .key = ""}, "--cacert", TlsRole::kClient);
    if (!made.ok()) return made.status();
    context = std::move(*made);
  }
  return std::unique_ptr<HttpClient>(new HttpClient(url, std::move(options), std::move(context)));
}

HttpClient::HttpClient(SolrUrl url, ClientOptions options,
                       std::shared_ptr<asio::ssl::context> context)
    : url_(std::move(url)),
      options_(std::move(options)),
      where_(url_.host.ToString()),
      context_(std::move(context)),
      strand_(asio::make_strand(io_)) {
  if (!options_.user.empty()) {
    authorization_ = "Authorization: Basic ";
    AppendBase64(authorization_, options_.user + ":" + options_.password);
    authorization_ += "\r\n";
  }
}

HttpClient::~HttpClient() {
  try {
    Drop();
  } catch (...) {  // closing cannot fail in a way worth more than letting the socket go
  }
}

void HttpClient::Drop() {
  if (stream_) {
    stream_->Close();
    io_.restart();
    io_.run();  // lets the closed socket's handlers, if any, finish
    stream_.reset();
  }
  buffer_.clear();
}

bool HttpClient::Run(const bool& done) {
  io_.restart();
  io_.run_for(options_.timeout);
  if (done) return true;
  stream_->Close();  // the pending operation ends with operation_aborted
  io_.restart();
  io_.run();
  return false;
}

Status HttpClient::Connect() {
  asio::ip::tcp::resolver resolver(io_);
  error_code ec;
  const auto endpoints = resolver.resolve(url_.host.host, std::to_string(url_.host.port), ec);
  if (ec) return Status::Unavailable("cannot resolve " + where_ + ": " + ec.message());
  stream_ = std::make_unique<TlsStream>(strand_, context_);
  bool done = false;
  asio::async_connect(stream_->tcp(), endpoints, [&](const error_code& e, const auto& /*ep*/) {
    ec = e;
    done = true;
  });
  if (!Run(done)) {
    Drop();
    return Status::DeadlineExceeded("no connection to " + where_ + " within the timeout");
  }
  if (ec) {
    Drop();
    return Status::Unavailable("cannot connect to " + where_ + ": " + ec.message());
  }
  stream_->tcp().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!context_) return Status::Ok();
  std::string failure;
  done = false;
  stream_->ClientHandshake(url_.host.host, /*verify_host=*/true, [&](const std::string& why) {
    failure = why;
    done = true;
  });
  if (!Run(done)) {
    Drop();
    return Status::DeadlineExceeded("no TLS handshake with " + where_ + " within the timeout");
  }
  if (!failure.empty()) {
    Drop();
    return Status::Unavailable("TLS with " + where_ + ": " + failure);
  }
  return Status::Ok();
}

Result<Answer> HttpClient::Get(std::string_view target) { return Call(target, nullptr); }

Result<Answer> HttpClient::Stream(std::string_view target, const Sink& sink) {
  return Call(target, &sink);
}

Result<Answer> HttpClient::Call(std::string_view target, const Sink* sink) {
  std::string request = "GET " + url_.path + std::string(target) + " HTTP/1.1\r\nHost: " + where_ +
                        "\r\nUser-Agent: shoal\r\nAccept: */*\r\n" + authorization_ + "\r\n";
  for (int attempt = 0;; ++attempt) {
    const bool reused = stream_ != nullptr;
    if (!reused) {
      if (Status st = Connect(); !st.ok()) return st;
    }
    // Write the request.
    error_code ec;
    bool done = false;
    stream_->AsyncWrite(asio::buffer(request), [&](const error_code& e, size_t /*n*/) {
      ec = e;
      done = true;
    });
    if (!Run(done)) {
      Drop();
      return Status::DeadlineExceeded("writing to " + where_ + " timed out");
    }
    if (ec) {
      const std::string why = stream_->FailureText(ec);
      Drop();
      if (reused && attempt == 0) continue;  // the server had closed the idle connection
      return Status::Unavailable("cannot send to " + where_ + ": " + why);
    }
    // Read the answer.
    Answer answer;
    Parser parser(&answer, sink, options_.max_answer);
    parser.eager(true);
    parser.body_limit(boost::none);  // Get's limit is the parser's max_answer; a stream has none
    std::string chunk(size_t{64} << 10, '\0');
    for (;;) {
      if (!buffer_.empty()) {
        parser.Started();
        error_code pe;
        const size_t used = parser.put(asio::buffer(buffer_), pe);
        buffer_.erase(0, used);
        if (pe && pe != http::error::need_more) {
          Drop();
          if (!parser.sink_status().ok()) return parser.sink_status();
          return Status::Unavailable(where_ + " did not answer HTTP: " + pe.message());
        }
        if (parser.is_done()) break;
        if (!pe && used > 0) continue;  // more may be parsed from what is held
      }
      size_t got = 0;
      done = false;
      stream_->AsyncReadSome(asio::buffer(chunk), [&](const error_code& e, size_t n) {
        ec = e;
        got = n;
        done = true;
      });
      if (!Run(done)) {
        Drop();
        return Status::DeadlineExceeded(
            where_ + " sent nothing for " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count()) +
            " s");
      }
      if (got > 0) buffer_.append(chunk.data(), got);
      if (ec) {
        if (ec == asio::error::eof && got == 0 && parser.is_header_done()) {
          error_code pe;
          parser.put_eof(pe);  // an answer framed by the close
          if (!pe && parser.is_done()) {
            Drop();
            return answer;
          }
        }
        const bool nothing = !parser.started() && buffer_.empty();
        const std::string why = stream_->FailureText(ec);
        Drop();
        if (reused && attempt == 0 && nothing) break;  // closed idle: once more, anew
        return Status::Unavailable("connection to " + where_ + " broke: " + why);
      }
    }
    if (stream_ == nullptr) continue;  // the retry above
    if (!parser.keep_alive()) Drop();
    return answer;
  }
}

}  // namespace shoal::solr
