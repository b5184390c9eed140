#include "base/cidr.h"

#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

Cidr Must(std::string_view text) {
  Result<Cidr> c = Cidr::Parse(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().ToString();
  return c.ok() ? *c : *Cidr::Parse("0.0.0.0/32");
}

TEST(CidrTest, ContainsTheAddressesOfItsPrefix) {
  const Cidr ten = Must("10.0.0.0/8");
  EXPECT_TRUE(ten.Contains("10.0.0.0"));
  EXPECT_TRUE(ten.Contains("10.255.3.4"));
  EXPECT_FALSE(ten.Contains("11.0.0.1"));
  EXPECT_FALSE(ten.Contains("9.255.255.255"));
  const Cidr odd = Must("192.168.4.0/22");  // a prefix that ends inside a byte
  EXPECT_TRUE(odd.Contains("192.168.7.255"));
  EXPECT_FALSE(odd.Contains("192.168.8.0"));
  EXPECT_FALSE(odd.Contains("192.168.3.255"));
  const Cidr one = Must("127.0.0.1");
  EXPECT_EQ(one.ToString(), "127.0.0.1/32");
  EXPECT_TRUE(one.Contains("127.0.0.1"));
  EXPECT_FALSE(one.Contains("127.0.0.2"));
  EXPECT_TRUE(Must("0.0.0.0/0").Contains("203.0.113.9"));
}

TEST(CidrTest, Ipv6AndIpv4MappedAddresses) {
  const Cidr ula = Must("fd00::/8");
  EXPECT_TRUE(ula.Contains("fd12:3456::1"));
  EXPECT_FALSE(ula.Contains("fe80::1"));
  EXPECT_FALSE(ula.Contains("10.0.0.1"));  // another family
  EXPECT_EQ(Must("2001:db8::/32").ToString(), "2001:db8::/32");
  // An IPv4-mapped IPv6 address is its IPv4 address.
  EXPECT_TRUE(Must("10.0.0.0/8").Contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(Must("::/0").Contains("::ffff:10.1.2.3"));
}

TEST(CidrTest, NotAnAddressIsNotContained) {
  const Cidr all = Must("0.0.0.0/0");
  for (std::string_view text : {"", "localhost", "10.0.0.1:9042", "[::1]", "10.0.0"}) {
    EXPECT_FALSE(all.Contains(text)) << text;
  }
}

TEST(CidrTest, ParseRefusesWhatIsNotANetworkAndQuotesIt) {
  for (std::string_view text :
       {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "fd00::/129", "example/8",
        "10.0.0.1/8", "::ffff:10.0.0.0/104", "10.0.0.0/8/8"}) {
    Result<Cidr> c = Cidr::Parse(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("'" + std::string(text) + "'"), std::string::npos)
        << c.status().ToString();
  }
  EXPECT_NE(Cidr::Parse("10.0.0.1/8").status().message().find("host bits"), std::string::npos);
}

TEST(CidrTest, InAnyNetwork) {
  const std::vector<Cidr> nets = {Must("10.0.0.0/8"), Must("fd00::/8")};
  EXPECT_TRUE(InAnyNetwork(nets, "10.9.9.9"));
  EXPECT_TRUE(InAnyNetwork(nets, "fd00::7"));
  EXPECT_FALSE(InAnyNetwork(nets, "192.0.2.1"));
  EXPECT_FALSE(InAnyNetwork({}, "10.9.9.9"));
}

}  // namespace
}  // namespace shoal
