#include "cluster/members_message.h"

#include <gtest/gtest.h>

namespace shoal::cluster {
namespace {

MemberList List(uint64_t epoch, std::string origin, std::vector<std::string> members) {
  MemberList l = StaticList(std::move(members));
  l.version.epoch = epoch;
  l.version.origin = std::move(origin);
  return l;
}

TEST(ListVersionTest, OrdersByEpochThenOriginThenDigest) {
  const ListVersion a{1, "127.0.0.1:7001", 5};
  EXPECT_LT(a, (ListVersion{2, "", 0}));                // the epoch first
  EXPECT_LT(a, (ListVersion{1, "127.0.0.2:7001", 0}));  // then the origin
  EXPECT_LT(a, (ListVersion{1, "127.0.0.1:7001", 6}));  // the digest last
  EXPECT_EQ(a, (ListVersion{1, "127.0.0.1:7001", 5}));
  // A node with no list yet is below any configured list.
  EXPECT_LT(StaticList({}).version, StaticList({"127.0.0.1:7001"}).version);
  EXPECT_EQ(StaticList({}).version.digest, 0u);
}

TEST(ListVersionTest, TheDigestIsOfTheSortedUniqueList) {
  EXPECT_EQ(StaticList({"b:1", "a:1", "b:1"}).version, StaticList({"a:1", "b:1"}).version);
  EXPECT_EQ(StaticList({"b:1", "a:1"}).members, (std::vector<std::string>{"a:1", "b:1"}));
  EXPECT_NE(StaticList({"a:1"}).version.digest, StaticList({"a:2"}).version.digest);
  EXPECT_NE(ListDigest({"a:1", "b:1"}), ListDigest({"a:1b:1"}));
}

TEST(MembersMessageTest, RequestRoundTrips) {
  MembersRequest r;
  r.join = true;
  r.sender = "127.0.0.4:7001";
  r.list = List(7, "127.0.0.1:7001", {"127.0.0.1:7001", "127.0.0.2:7001"});
  Result<MembersRequest> d = DecodeMembers(EncodeMembers(r));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_TRUE(d->join);
  EXPECT_EQ(d->sender, r.sender);
  EXPECT_EQ(d->list.version, r.list.version);
  EXPECT_EQ(d->list.members, r.list.members);

  r.join = false;
  r.list = StaticList({});  // a seed node with no list yet
  d = DecodeMembers(EncodeMembers(r));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->join);
  EXPECT_TRUE(d->list.members.empty());
}

TEST(MembersMessageTest, ReplyRoundTripsWithAndWithoutAList) {
  MembersReply reply;
  reply.version = List(3, "x:1", {"a:1"}).version;
  Result<MembersReply> d = DecodeMembersReply(EncodeMembersReply(reply));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->version, reply.version);
  EXPECT_FALSE(d->list);

  reply.list = List(3, "x:1", {"a:1"});
  d = DecodeMembersReply(EncodeMembersReply(reply));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->list);
  EXPECT_EQ(d->list->members, (std::vector<std::string>{"a:1"}));
}

TEST(MembersMessageTest, EveryTruncationAndTrailingByteIsRefused) {
  MembersRequest r;
  r.sender = "127.0.0.4:7001";
  r.list = List(7, "o:1", {"a:1", "b:1", "c:1"});
  const std::string full = EncodeMembers(r);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(DecodeMembers(full.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeMembers(full + "x").ok());

  MembersReply reply;
  reply.version = r.list.version;
  reply.list = r.list;
  const std::string rfull = EncodeMembersReply(reply);
  for (size_t n = 0; n < rfull.size(); ++n) {
    EXPECT_FALSE(DecodeMembersReply(rfull.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeMembersReply(rfull + "x").ok());
}

TEST(MembersMessageTest, BadListsFlagsAndSendersAreRefused) {
  MembersRequest r;
  r.sender = "s:1";
  r.list = List(1, "o:1", {"a:1", "b:1"});
  std::string bad_digest = EncodeMembers(r);
  bad_digest.back() = '2';  // "b:2": still sorted, but the digest is of "b:1"
  EXPECT_FALSE(DecodeMembers(bad_digest).ok());

  MembersRequest unsorted = r;
  unsorted.list.members = {"b:1", "a:1"};  // same digest inputs, wrong order
  unsorted.list.version.digest = ListDigest({"b:1", "a:1"});
  EXPECT_FALSE(DecodeMembers(EncodeMembers(unsorted)).ok());
  MembersRequest repeated = r;
  repeated.list.members = {"a:1", "a:1"};
  repeated.list.version.digest = ListDigest(repeated.list.members);
  EXPECT_FALSE(DecodeMembers(EncodeMembers(repeated)).ok());

  std::string flags = EncodeMembers(r);
  flags[0] = 2;
  EXPECT_FALSE(DecodeMembers(flags).ok());
  MembersRequest anonymous = r;
  anonymous.sender.clear();
  EXPECT_FALSE(DecodeMembers(EncodeMembers(anonymous)).ok());

  MembersReply mismatched;
  mismatched.version = ListVersion{9, "o:1", r.list.version.digest};
  mismatched.list = r.list;  // epoch 1, not the reply's 9
  EXPECT_FALSE(DecodeMembersReply(EncodeMembersReply(mismatched)).ok());
  std::string has_list = EncodeMembersReply(MembersReply{r.list.version, std::nullopt});
  has_list.back() = 2;  // neither 0 nor 1
  EXPECT_FALSE(DecodeMembersReply(has_list).ok());
}

}  // namespace
}  // namespace shoal::cluster
