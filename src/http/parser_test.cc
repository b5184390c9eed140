// Unit tests of the HTTP request parser: every error status, pipelined buffers, input fed
// byte by byte, and the framing rules (Content-Length, chunked, Connection, versions); then
// the resumable RequestParser: fed in pieces it agrees with a one-shot parse, reports the
// head of a request with a body (kHead) and honours LimitBody.
#include "http/parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::http {
namespace {

class ParserTest : public ::testing::Test {
 protected:
  ParseResult Run(std::string_view input) {
    return Parse(input, limits_, &request_, &headers_, &body_);
  }
  // Expect that `input` is refused with `status`.
  void ExpectError(std::string_view input, int status) {
    ParseResult r = Run(input);
    EXPECT_EQ(r.state, ParseState::kError) << input;
    EXPECT_EQ(r.status, status) << input;
    EXPECT_FALSE(r.message.empty());
  }

  Limits limits_;
  Request request_;
  std::vector<Header> headers_;
  std::string body_;
};

TEST_F(ParserTest, ParsesASimpleGet) {
  std::string in = "GET /v1/items/7?x=1&y=2 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  ParseResult r = Run(in);
  ASSERT_EQ(r.state, ParseState::kComplete);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_FALSE(r.http_1_0);
  EXPECT_EQ(request_.method, Method::kGet);
  EXPECT_EQ(request_.method_name, "GET");
  EXPECT_EQ(request_.target, "/v1/items/7?x=1&y=2");
  EXPECT_EQ(request_.path, "/v1/items/7");
  EXPECT_EQ(request_.query, "x=1&y=2");
  EXPECT_TRUE(request_.keep_alive);
  EXPECT_TRUE(request_.body.empty());
  ASSERT_EQ(request_.headers.size(), 2u);
  EXPECT_EQ(request_.headers[1].name, "Accept");
  EXPECT_EQ(request_.headers[1].value, "*/*");
}

TEST_F(ParserTest, MapsMethods) {
  EXPECT_EQ(MethodFromName("HEAD"), Method::kHead);
  EXPECT_EQ(MethodFromName("POST"), Method::kPost);
  EXPECT_EQ(MethodFromName("PUT"), Method::kPut);
  EXPECT_EQ(MethodFromName("DELETE"), Method::kDelete);
  EXPECT_EQ(MethodFromName("OPTIONS"), Method::kOptions);
  EXPECT_EQ(MethodFromName("PATCH"), Method::kPatch);
  EXPECT_EQ(MethodFromName("get"), Method::kOther);  // methods are case-sensitive
  EXPECT_EQ(MethodFromName("BREW"), Method::kOther);
  ASSERT_EQ(Run("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  EXPECT_EQ(request_.method, Method::kOther);
  EXPECT_EQ(request_.method_name, "BREW");
}

TEST_F(ParserTest, NoQueryGivesEmptyQuery) {
  ASSERT_EQ(Run("GET /a HTTP/1.1\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  EXPECT_EQ(request_.path, "/a");
  EXPECT_EQ(request_.query, "");
  ASSERT_EQ(Run("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  EXPECT_EQ(request_.path, "/a");
  EXPECT_EQ(request_.query, "");
}

TEST_F(ParserTest, HeaderNamesAreCaseInsensitiveAndValuesTrimmed) {
  ASSERT_EQ(Run("GET / HTTP/1.1\r\nhOsT: a\r\nX-Thing: \t spaced out \t\r\n"
                "CONTENT-LENGTH: 3\r\n\r\nabc")
                .state,
            ParseState::kComplete);
  EXPECT_EQ(request_.HeaderValue("x-thing"), "spaced out");
  EXPECT_EQ(request_.HeaderValue("X-THING"), "spaced out");
  EXPECT_EQ(request_.HeaderValue("host"), "a");
  EXPECT_EQ(request_.HeaderValue("missing"), "");
  EXPECT_EQ(request_.body, "abc");
}

TEST_F(ParserTest, PipelinedRequestsParseOneAtATime) {
  std::string in =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHo";
  std::string_view rest = in;
  std::vector<std::string> paths;
  while (true) {
    ParseResult r = Run(rest);
    if (r.state != ParseState::kComplete) {
      EXPECT_EQ(r.state, ParseState::kNeedMore);
      break;
    }
    paths.emplace_back(request_.path);
    if (request_.path == "/2") {
      EXPECT_EQ(request_.body, "hello");
    }
    if (request_.path == "/3") {
      EXPECT_EQ(request_.method, Method::kHead);
    }
    rest.remove_prefix(r.consumed);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_EQ(rest, "GET /4 HTTP/1.1\r\nHo");
}

TEST_F(ParserTest, ByteByByteInputNeedsMoreUntilTheLastByte) {
  const std::string inputs[] = {
      "GET /x?y HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody",
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    for (size_t i = 0; i < in.size(); ++i) {
      ParseResult r = Run(std::string_view(in).substr(0, i));
      ASSERT_EQ(r.state, ParseState::kNeedMore) << "prefix " << i << " of " << in;
    }
    ParseResult r = Run(in);
    ASSERT_EQ(r.state, ParseState::kComplete) << in;
    EXPECT_EQ(r.consumed, in.size());
  }
  EXPECT_EQ(request_.body, "abcde");
}

TEST_F(ParserTest, LeadingEmptyLinesAreSkipped) {
  std::string in = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  ParseResult r = Run(in);
  ASSERT_EQ(r.state, ParseState::kComplete);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(Run("\r\n").state, ParseState::kNeedMore);
  EXPECT_EQ(Run("\r").state, ParseState::kNeedMore);
}

TEST_F(ParserTest, KeepAliveDefaultsAndConnectionHeader) {
  ASSERT_EQ(Run("GET / HTTP/1.1\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  EXPECT_TRUE(request_.keep_alive);
  ASSERT_EQ(Run("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n").state,
            ParseState::kComplete);
  EXPECT_FALSE(request_.keep_alive);
  ASSERT_EQ(Run("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n").state,
            ParseState::kComplete);
  EXPECT_FALSE(request_.keep_alive);

  ParseResult r = Run("GET / HTTP/1.0\r\n\r\n");  // no Host needed in 1.0
  ASSERT_EQ(r.state, ParseState::kComplete);
  EXPECT_TRUE(r.http_1_0);
  EXPECT_FALSE(request_.keep_alive);
  ASSERT_EQ(Run("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").state, ParseState::kComplete);
  EXPECT_TRUE(request_.keep_alive);
  ASSERT_EQ(Run("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").state,
            ParseState::kComplete);
  EXPECT_FALSE(request_.keep_alive);
}

TEST_F(ParserTest, BadRequestLinesAre400) {
  ExpectError("GET\r\n\r\n", 400);
  ExpectError("GET /\r\n\r\n", 400);
  ExpectError(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
  ExpectError("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400);  // not origin-form
  ExpectError("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);  // * is for OPTIONS
  ExpectError("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  EXPECT_EQ(Run("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  // Garbage is refused before the line ends, not after max_request_line bytes.
  ExpectError(std::string("\x16\x03\x01\x02", 4), 400);
}

TEST_F(ParserTest, OtherVersionsAre505) {
  ExpectError("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
  ExpectError("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
  ExpectError("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
}

TEST_F(ParserTest, LineEndingsMustBeCrlf) {
  ExpectError("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);  // bare CR in a value
  ExpectError("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);      // bare CR in the line
}

TEST_F(ParserTest, NulBytesAre400) {
  using namespace std::string_literals;
  ExpectError("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"s, 400);
  ExpectError("GET / HTTP/1.1\r\nX\0: 1\r\nHost: a\r\n\r\n"s, 400);
  // Even before the line is complete.
  ExpectError("GET / HTTP/1.1\r\nHost: \0"s, 400);
}

TEST_F(ParserTest, BadHeadersAre400) {
  ExpectError("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);            // space before colon
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);  // obs-fold
  ExpectError("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nNoColon\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nX: \x01\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nX: a\x7f\r\nHost: a\r\n\r\n", 400);
  // obs-text is allowed in values.
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\nHost: a\r\n\r\n").state,
            ParseState::kComplete);
}

TEST_F(ParserTest, HostIsRequiredOnceIn11) {
  ExpectError("GET / HTTP/1.1\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
}

TEST_F(ParserTest, LongRequestLineIs414) {
  limits_.max_request_line = 64;
  std::string ok = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(ok.size(), 64u);
  EXPECT_EQ(Run(ok + "\r\nHost: a\r\n\r\n").state, ParseState::kComplete);
  std::string too_long = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
  ExpectError(too_long + "\r\nHost: a\r\n\r\n", 414);
  // Also while the line is still incomplete.
  ExpectError("GET /" + std::string(100, 'a'), 414);
  EXPECT_EQ(Run("GET /" + std::string(50, 'a')).state, ParseState::kNeedMore);
}

TEST_F(ParserTest, LargeHeaderSectionIs431) {
  limits_.max_header_bytes = 100;
  std::string line = "X: " + std::string(40, 'v') + "\r\n";  // 45 bytes
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: a\r\n" + line + "\r\n").state, ParseState::kComplete);
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\n" + line + line + "\r\n", 431);
  // Also while incomplete, and with one endless header line.
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\n" + line + line + line, 431);
  ExpectError("GET / HTTP/1.1\r\nX: " + std::string(200, 'v'), 431);
}

TEST_F(ParserTest, TooManyHeadersIs431) {
  limits_.max_headers = 3;
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n").state, ParseState::kComplete);
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431);
}

TEST_F(ParserTest, ContentLengthRules) {
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
              400);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nxx", 400);
  // Repeats that agree are fine.
  ASSERT_EQ(Run("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\ncontent-length: 2, 2\r\n"
                "\r\nxy")
                .state,
            ParseState::kComplete);
  EXPECT_EQ(request_.body, "xy");
  // The body is waited for.
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxy").state,
            ParseState::kNeedMore);
  // A GET may carry a body; it is framed like any other.
  ParseResult r = Run("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxyGET");
  ASSERT_EQ(r.state, ParseState::kComplete);
  EXPECT_EQ(r.consumed, 48u);
}

TEST_F(ParserTest, ContentLengthWithTransferEncodingIs400) {
  ExpectError(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400);
  ExpectError(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Content-Length: 3\r\n\r\n0\r\n\r\n",
      400);
  ExpectError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

TEST_F(ParserTest, UnknownTransferCodingIs501) {
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
  ExpectError(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      501);
}

TEST_F(ParserTest, ChunkedBodiesAreDecoded) {
  std::string in =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5\r\nhello\r\nA \r\n, world!!!\r\n0\r\n\r\nGET";
  ParseResult r = Run(in);
  ASSERT_EQ(r.state, ParseState::kComplete);
  EXPECT_EQ(request_.body, "hello, world!!!");
  EXPECT_EQ(r.consumed, in.size() - 3);
}

TEST_F(ParserTest, BadChunkingIs400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectError(head + "x\r\n", 400);
  ExpectError(head + "3\r\nabcd\r\n0\r\n\r\n", 400);
  ExpectError(head + "3\nabc\r\n0\r\n\r\n", 400);
  ExpectError(head + "fffffffffffffffff\r\n", 400);
  ExpectError(head + "0\r\nbad trailer\r\n\r\n", 400);
}

TEST_F(ParserTest, LargeBodiesAre413) {
  limits_.max_body = 10;
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413);
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789").state,
            ParseState::kComplete);
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectError(head + "6\r\nabcdef\r\n5\r\n", 413);
  EXPECT_EQ(Run(head + "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n").state, ParseState::kComplete);
  EXPECT_EQ(request_.body, "abcdefghij");
}

// Feed gives `in` to a RequestParser in pieces of `piece` bytes (growing one buffer that moves
// in memory, as a connection's does) and returns the final result; `out` and `body` get the
// request and a copy of its body.
ParseResult Feed(RequestParser& p, std::string_view in, size_t piece, Request* out,
                 std::string* body, int* heads = nullptr) {
  std::string buf;
  ParseResult r;
  for (size_t at = 0; at < in.size();) {
    const size_t n = std::min(piece, in.size() - at);
    std::string moved = buf;  // a new allocation: the bytes move
    moved.append(in.substr(at, n));
    buf.swap(moved);
    at += n;
    r = p.Parse(buf, out);
    if (r.state == ParseState::kHead) {
      if (heads != nullptr) ++*heads;
      EXPECT_TRUE(out->body.empty());
      r = p.Parse(buf, out);
    }
    if (r.state != ParseState::kNeedMore) break;
  }
  if (r.state == ParseState::kComplete) *body = std::string(out->body);
  return r;
}

TEST(RequestParserTest, PiecesAgreeWithOneShot) {
  const std::string inputs[] = {
      "GET /x?y HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\nGET /next",
      "\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyrest",
      std::string("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") +
          "3\r\nabc\r\n2;ext=1\r\nde\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\nGET",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      // Errors, each found at some point of the input whatever the pieces.
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
      "GET / HTTP/1.1\nHost: a\r\n\r\n",
      "GET /a\r HTTP/1.1\r\nHost: a\r\n\r\n",
  };
  Limits limits;
  for (const std::string& in : inputs) {
    Request one;
    std::vector<Header> headers;
    std::string body_storage;
    const ParseResult want = Parse(in, limits, &one, &headers, &body_storage);
    for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{100}}) {
      RequestParser p(limits);
      Request got;
      std::string body;
      const ParseResult r = Feed(p, in, piece, &got, &body);
      ASSERT_EQ(r.state, want.state) << "piece " << piece << " of " << in;
      EXPECT_EQ(r.status, want.status) << in;
      if (r.state != ParseState::kComplete) continue;
      EXPECT_EQ(r.consumed, want.consumed) << in;
      EXPECT_EQ(body, one.body) << in;
      EXPECT_EQ(got.method, one.method);
      EXPECT_EQ(got.keep_alive, one.keep_alive);
      EXPECT_EQ(r.http_1_0, want.http_1_0);
      ASSERT_EQ(got.headers.size(), one.headers.size());
    }
  }
}

TEST(RequestParserTest, HeadIsReportedOnceAndOnlyForABody) {
  Limits limits;
  Request req;
  std::string body;
  int heads = 0;
  RequestParser p(limits);
  ASSERT_EQ(
      Feed(p, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 1, &req, &body, &heads)
          .state,
      ParseState::kComplete);
  EXPECT_EQ(heads, 1);
  EXPECT_EQ(body, "abc");
  p.Reset();
  heads = 0;
  ASSERT_EQ(
      Feed(p, "GET /g HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 5, &req, &body, &heads)
          .state,
      ParseState::kComplete);
  EXPECT_EQ(heads, 0);
  EXPECT_EQ(req.method, Method::kGet);  // (views died with Feed's buffer)

  // At kHead the request's head is readable (as Handler::MaxBody sees it).
  p.Reset();
  const std::string in =
      "PUT /h?q HTTP/1.1\r\nHost: a\r\nX-A: b\r\nTransfer-Encoding: chunked\r\n\r\n";
  const ParseResult r = p.Parse(in, &req);
  ASSERT_EQ(r.state, ParseState::kHead);
  EXPECT_EQ(req.method, Method::kPut);
  EXPECT_EQ(req.path, "/h");
  EXPECT_EQ(req.query, "q");
  EXPECT_EQ(req.HeaderValue("x-a"), "b");
  EXPECT_TRUE(p.chunked());
  EXPECT_EQ(p.Parse(in, &req).state, ParseState::kNeedMore);
}

TEST(RequestParserTest, LimitBodyRefusesAtOnce) {
  Limits limits;
  Request req;
  const std::string cl = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  RequestParser p(limits);
  ASSERT_EQ(p.Parse(cl, &req).state, ParseState::kHead);
  p.LimitBody(10);
  ParseResult r = p.Parse(cl, &req);  // no body byte yet
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);

  const std::string chunked = "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  p.Reset();
  ASSERT_EQ(p.Parse(chunked, &req).state, ParseState::kHead);
  p.LimitBody(0);
  r = p.Parse(chunked, &req);
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);

  // A chunked body that grows over the limit is refused when it does.
  p.Reset();
  ASSERT_EQ(p.Parse(chunked, &req).state, ParseState::kHead);
  p.LimitBody(5);
  EXPECT_EQ(p.Parse(chunked + "3\r\nabc\r\n", &req).state, ParseState::kNeedMore);
  r = p.Parse(chunked + "3\r\nabc\r\n3\r\n", &req);
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);

  // Never above Limits::max_body.
  limits.max_body = 4;
  RequestParser q(limits);
  const std::string five = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  r = q.Parse(five, &req);
  EXPECT_EQ(r.state, ParseState::kError);
  EXPECT_EQ(r.status, 413);
}

TEST(RequestParserTest, ResetReleasesALargeBody) {
  Limits limits;
  limits.max_body = 1 << 20;
  std::string in = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 100; ++i) in += "400\r\n" + std::string(1024, 'x') + "\r\n";
  in += "0\r\n\r\n";
  RequestParser p(limits);
  Request req;
  std::string body;
  ASSERT_EQ(Feed(p, in, 1000, &req, &body).state, ParseState::kComplete);
  EXPECT_EQ(body.size(), 102400u);
  EXPECT_GE(p.storage_bytes(), 102400u);
  p.Reset();
  EXPECT_LT(p.storage_bytes(), 8192u);
}

// A long chunked body fed in pieces that cut size lines, data and CRLFs anywhere decodes
// exactly (the cost side is CostTest's, in cost_test.cc).
TEST(RequestParserTest, ManyPiecesOfAChunkedBody) {
  Limits limits;
  limits.max_body = 1 << 20;
  std::string in = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string want;
  for (int i = 0; i < 2000; ++i) {
    in += "10\r\n" + std::string(16, static_cast<char>('a' + i % 26)) + "\r\n";
    want += std::string(16, static_cast<char>('a' + i % 26));
  }
  in += "0\r\n\r\n";
  RequestParser p(limits);
  Request req;
  std::string body;
  ASSERT_EQ(Feed(p, in, 13, &req, &body).state, ParseState::kComplete);
  EXPECT_EQ(body, want);
}

}  // namespace
}  // namespace shoal::http
