#include "base/host_port.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

HostPort Ok(std::string_view text, HostPortRules rules = {}) {
  Result<HostPort> r = ParseHostPort(text, rules);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : HostPort{};
}

std::string Error(std::string_view text, HostPortRules rules = {}) {
  Result<HostPort> r = ParseHostPort(text, rules);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(HostPortTest, ParsesNamesIpv4AndBracketedIpv6) {
  EXPECT_EQ(Ok("localhost:8080"), (HostPort{"localhost", 8080}));
  EXPECT_EQ(Ok("10.0.0.1:9042"), (HostPort{"10.0.0.1", 9042}));
  EXPECT_EQ(Ok("[::1]:7070"), (HostPort{"::1", 7070}));
  EXPECT_EQ(Ok("[fe80::1%eth0]:1"), (HostPort{"fe80::1%eth0", 1}));
}

TEST(HostPortTest, DefaultPortFillsAMissingOne) {
  const HostPortRules rules{.default_port = 9042, .allow_port_zero = false};
  EXPECT_EQ(Ok("cass1", rules), (HostPort{"cass1", 9042}));
  EXPECT_EQ(Ok("[2001:db8::2]", rules), (HostPort{"2001:db8::2", 9042}));
  EXPECT_EQ(Ok("cass1:9142", rules), (HostPort{"cass1", 9142}));
}

TEST(HostPortTest, PortZeroOnlyWhereAllowed) {
  EXPECT_EQ(Ok("127.0.0.1:0", {.default_port = std::nullopt, .allow_port_zero = true}),
            (HostPort{"127.0.0.1", 0}));
  EXPECT_NE(Error("127.0.0.1:0").find("1..65535"), std::string::npos);
}

TEST(HostPortTest, ClearErrors) {
  EXPECT_NE(Error("localhost").find("port is missing"), std::string::npos);
  EXPECT_NE(Error(":80").find("host is empty"), std::string::npos);
  EXPECT_NE(Error("[]:80").find("host is empty"), std::string::npos);
  EXPECT_NE(Error("h:65536").find("1..65535"), std::string::npos);
  EXPECT_NE(Error("h:8x").find("1..65535"), std::string::npos);
  EXPECT_NE(Error("h:").find("1..65535"), std::string::npos);
  EXPECT_NE(Error("h:-1").find("1..65535"), std::string::npos);
  EXPECT_NE(Error("[::1:80").find("without ']'"), std::string::npos);
  EXPECT_NE(Error("[::1]80").find("after ']'"), std::string::npos);
  const std::string bare = Error("::1:9042", {.default_port = 9042, .allow_port_zero = false});
  EXPECT_NE(bare.find("in brackets, as [::1:9042]"), std::string::npos) << bare;
  EXPECT_NE(bare.find("'::1:9042'"), std::string::npos) << bare;
}

TEST(HostPortTest, ToStringRoundTrips) {
  for (const char* text : {"a.example:1", "127.0.0.1:65535", "[::1]:7070"}) {
    EXPECT_EQ(Ok(text).ToString(), text);
  }
  EXPECT_EQ(FormatHostPort("::1", 80), "[::1]:80");
}

TEST(HostPortTest, LoopbackHostsAreOnlyThoseOfThisMachine) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "localhost.example",
                           "localhos", "shoal-1", "::2", "::ffff:10.0.0.1", "", "127.0.0.1x"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace shoal
