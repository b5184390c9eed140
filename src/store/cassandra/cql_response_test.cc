// Tests for cql_response.h: the prefixes of a response body, AUTHENTICATE, the auth tokens
// and SUPPORTED, whole and truncated.
#include "store/cassandra/cql_response.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_result.h"
#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

TEST(CqlResponseTest, TracingWarningsAndCustomPayloadPrecedeTheMessage) {
  const std::string tracing(16, '\x07');
  const std::string warnings = H("0002") + S("rf too high") + S("big batch");
  const std::string payload = H("0001") + S("k") + Cell("v");
  const std::string message = Int(1);  // RESULT Void
  const std::string wire =
      Response(Opcode::kResult, tracing + warnings + payload + message, 0,
               frame_flag::kTracing | frame_flag::kWarning | frame_flag::kCustomPayload);
  FrameDecoder d;
  d.Feed(wire);
  auto f = d.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  auto r = SplitResponseBody(**f);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tracing_id, tracing);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(r->warnings[0], "rf too high");
  EXPECT_EQ(r->warnings[1], "big batch");
  EXPECT_EQ(r->custom_payload, payload);
  EXPECT_EQ(r->message, message);
  EXPECT_TRUE(std::holds_alternative<VoidResult>(*ParseResult(r->message)));
}

TEST(CqlResponseTest, PrefixesAreBoundsChecked) {
  Frame f;
  f.header.response = true;
  f.header.opcode = Opcode::kResult;
  f.header.flags = frame_flag::kWarning;
  const std::string lying = H("0003") + S("one");  // claims three warnings
  f.body = lying;
  EXPECT_EQ(SplitResponseBody(f).status().code(), StatusCode::kInvalidArgument);
  f.header.flags = frame_flag::kTracing;
  const std::string short_id(15, 'x');
  f.body = short_id;
  EXPECT_FALSE(SplitResponseBody(f).ok());
  f.header.flags = frame_flag::kCustomPayload;
  const std::string payload = H("0001") + S("k") + Int(5) + "abc";
  f.body = payload;
  EXPECT_FALSE(SplitResponseBody(f).ok());
}

TEST(CqlResponseTest, ACompressedBodyIsRefused) {
  Frame f;
  f.header.opcode = Opcode::kResult;
  f.header.flags = frame_flag::kCompression;
  auto r = SplitResponseBody(f);
  EXPECT_NE(r.status().message().find("compress"), std::string_view::npos);
}

TEST(CqlResponseTest, AuthenticateNamesTheAuthenticator) {
  auto cls = ParseAuthenticate(Keep(S("org.apache.cassandra.auth.PasswordAuthenticator")));
  ASSERT_TRUE(cls.ok());
  EXPECT_EQ(*cls, "org.apache.cassandra.auth.PasswordAuthenticator");
  EXPECT_FALSE(ParseAuthenticate(Keep(H("0010") + "short")).ok());
}

TEST(CqlResponseTest, AuthTokensMayBeNull) {
  auto null_token = ParseAuthToken(Keep(H("ffffffff")));
  ASSERT_TRUE(null_token.ok());
  EXPECT_FALSE(null_token->has_value());
  auto token = ParseAuthToken(Keep(Cell("tok")));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->value(), "tok");
  EXPECT_FALSE(ParseAuthToken(Keep(H("000000"))).ok());
  EXPECT_FALSE(ParseAuthToken(Keep(H("00000005") + "tok")).ok());
}

TEST(CqlResponseTest, SupportedIsAStringMultimap) {
  const std::string body = H("0002") + S("CQL_VERSION") + H("0001") + S("3.4.7") +
                           S("PROTOCOL_VERSIONS") + H("0002") + S("4/v4") + S("5/v5");
  auto s = ParseSupported(body);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].key, "CQL_VERSION");
  EXPECT_EQ((*s)[0].values, std::vector<std::string_view>{"3.4.7"});
  EXPECT_EQ((*s)[1].key, "PROTOCOL_VERSIONS");
  EXPECT_EQ((*s)[1].values, (std::vector<std::string_view>{"4/v4", "5/v5"}));
  for (size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(ParseSupported(body.substr(0, n)).ok());
}

}  // namespace
}  // namespace shoal::store::cassandra
