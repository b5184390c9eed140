#include "cluster/messages.h"

#include <chrono>

#include <gtest/gtest.h>

namespace shoal::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

cache::EntryPtr MakeEntry(TimePoint now, cache::EntryKind kind = cache::EntryKind::kValue) {
  cache::EntryOptions o;
  o.key = "/v1/items/7";
  o.kind = kind;
  o.body = Bytes::Copy(R"({"id":7,"title":"caf\u00e9"})");
  o.created = now - seconds(3);
  o.fresh_until = now + seconds(57);
  o.stale_until = now + seconds(117);
  return cache::Entry::Make(std::move(o));
}

TEST(MessagesTest, GetRoundTrip) {
  const std::string payload = EncodeGet("/v1/items/7?x=1");
  Result<GetRequest> get = DecodeGet(payload);
  Result<std::string_view> key =
      get.ok() ? Result<std::string_view>(get->key) : Result<std::string_view>(get.status());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "/v1/items/7?x=1");
}

TEST(MessagesTest, EntryKeepsTheOwnersDeadlinesAcrossClocks) {
  const TimePoint owner_now = TimePoint() + seconds(1000);
  cache::EntryPtr e = MakeEntry(owner_now);
  const std::string reply = EncodeEntryReply(*e, owner_now, 7);
  // The receiver's steady clock has another origin; only durations travel.
  const TimePoint here = TimePoint() + seconds(5);
  Result<cache::EntryPtr> got = DecodeGetReply(reply, "/v1/items/7", here);
  ASSERT_TRUE(got.ok()) << got.status().message();
  const cache::Entry& g = **got;
  EXPECT_EQ(g.key(), "/v1/items/7");
  EXPECT_EQ(g.body(), e->body());
  EXPECT_EQ(g.etag(), e->etag());
  EXPECT_EQ(g.kind(), cache::EntryKind::kValue);
  EXPECT_EQ(g.created(), here - seconds(3));
  EXPECT_EQ(g.fresh_until(), here + seconds(57));
  EXPECT_EQ(g.stale_until(), here + seconds(117));
}

// EntryReplyWithEtag builds a GET reply by hand with `etag` (as a hostile owner would).
std::string EntryReplyWithEtag(std::string_view etag) {
  std::string out;
  out.push_back('\0');   // OK
  out.push_back('\0');   // value
  out.append(24, '\0');  // age, fresh, stale: 0
  const auto n = static_cast<uint32_t>(etag.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  out.append(etag);
  out.append(std::string("\0\0\0\x02{}", 6));
  out.append(8, '\0');  // fill sequence
  out.append(4, '\0');  // no response header lines
  out.append(5, '\0');  // flags, tags ""
  return out;
}

TEST(MessagesTest, AReplyWhoseEtagIsNotQuotedHexIsMalformed) {
  const TimePoint now = TimePoint() + seconds(1000);
  Result<cache::EntryPtr> good =
      DecodeGetReply(EntryReplyWithEtag("\"0123456789abcdef\""), "/k", now);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  for (std::string_view etag :
       {std::string_view("\"x\"\r\nSet-Cookie: s=1"), std::string_view("\"0123456789ABCDEF\""),
        std::string_view("0123456789abcdef01"), std::string_view("\"0123456789abcde\""),
        std::string_view("\"0123456789abcdef0\""), std::string_view("")}) {
    bool malformed = false;
    Result<cache::EntryPtr> got = DecodeGetReply(EntryReplyWithEtag(etag), "/k", now, &malformed);
    EXPECT_FALSE(got.ok()) << etag;
    EXPECT_TRUE(malformed) << etag;
  }
  EXPECT_TRUE(IsWellFormedEtag(cache::StrongEtag("{\"id\":1}")));
}

TEST(MessagesTest, NegativeAndStaleEntriesTravel) {
  const TimePoint now = TimePoint() + seconds(1000);
  cache::EntryPtr e = MakeEntry(now, cache::EntryKind::kNotFound);
  // Encoded 60 s later: stale (fresh_until passed), still within grace.
  const std::string reply = EncodeEntryReply(*e, now + seconds(60), 0);
  Result<cache::EntryPtr> got = DecodeGetReply(reply, "/v1/items/7", now);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE((*got)->not_found());
  EXPECT_FALSE((*got)->IsFresh(now));
  EXPECT_TRUE((*got)->IsServable(now));
}

TEST(MessagesTest, OwnerErrorsKeepTheirCode) {
  Result<cache::EntryPtr> got = DecodeGetReply(
      EncodeErrorReply(Status::DeadlineExceeded("store timeout")), "/k", TimePoint());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(got.status().message(), "store timeout");
}

TEST(MessagesTest, AnOwnersInvalidArgumentIsNotMalformed) {
  // Even with a message that looks like ours: the flag, not the text, tells them apart.
  const std::string text = std::string(kMalformedPrefix) + ": the owner's own words";
  bool malformed = true;
  Result<cache::EntryPtr> got = DecodeGetReply(EncodeErrorReply(Status::InvalidArgument(text)),
                                               "/k", TimePoint(), &malformed);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(malformed);
  malformed = true;
  Result<uint64_t> n =
      DecodePurgeReply(EncodePurgeReply(Status::InvalidArgument(text)), &malformed);
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(malformed);
  EXPECT_FALSE(DecodePurgeReply("\x09", &malformed).ok());
  EXPECT_TRUE(malformed);
}

TEST(MessagesTest, AnEntrysTagsAndNoStoreTravelWithIt) {
  const TimePoint now = TimePoint() + seconds(1000);
  cache::EntryOptions o = MakeEntry(now)->CopyOptions();
  o.tags = "item:7 category:books";
  cache::EntryPtr e = cache::Entry::Make(o);
  Result<cache::EntryPtr> got = DecodeGetReply(EncodeEntryReply(*e, now, 3), "/v1/items/7", now);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)->tags(), "item:7 category:books");
  EXPECT_FALSE((*got)->no_store());
  o.tags.clear();
  o.no_store = true;
  got = DecodeGetReply(EncodeEntryReply(*cache::Entry::Make(o), now, 3), "/v1/items/7", now);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE((*got)->no_store());
  // A soft-purged entry travels stale: fresh until the purge, servable its grace after.
  cache::EntryPtr soft = cache::Entry::Make(MakeEntry(now)->CopyOptions());
  soft->MarkStale(now - seconds(1));
  got = DecodeGetReply(EncodeEntryReply(*soft, now, 3), "/v1/items/7", now);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE((*got)->IsFresh(now));
  EXPECT_EQ((*got)->stale_until(), now + seconds(59));  // grace 60 s from the purge
  // Tags that are not single-space separated make the reply malformed.
  for (const char* bad : {" a", "a ", "a  b", "a\tb", "a\x7f"}) {
    o.tags = bad;
    o.no_store = false;
    bool malformed = false;
    EXPECT_FALSE(
        DecodeGetReply(EncodeEntryReply(*cache::Entry::Make(o), now, 3), "/k", now, &malformed)
            .ok())
        << bad;
    EXPECT_TRUE(malformed) << bad;
  }
}

TEST(MessagesTest, TagAndSoftPurgesRoundTrip) {
  PurgeTarget tags{PurgeKind::kTag, "item:1 item:2"};
  tags.soft = true;
  Result<PurgeTarget> t = DecodePurge(EncodePurge(tags));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, PurgeKind::kTag);
  EXPECT_EQ(t->text, "item:1 item:2");
  EXPECT_TRUE(t->soft);
  PurgeTarget key{PurgeKind::kKey, "/k"};
  t = DecodePurge(EncodePurge(key));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->soft);
  PurgeTarget all{PurgeKind::kAll, ""};
  all.soft = true;  // a flush is never soft
  EXPECT_FALSE(DecodePurge(EncodePurge(all)).ok());
  EXPECT_FALSE(DecodePurge(EncodePurge({PurgeKind::kTag, "a  b"})).ok());
}

TEST(MessagesTest, PurgeRoundTrip) {
  Result<PurgeTarget> t = DecodePurge(EncodePurge({PurgeKind::kEndpoint, "/v1/items/{id:int}"}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, PurgeKind::kEndpoint);
  EXPECT_EQ(t->text, "/v1/items/{id:int}");
  Result<uint64_t> n = DecodePurgeReply(EncodePurgeReply(uint64_t{42}));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 42u);
  Result<uint64_t> bad = DecodePurgeReply(EncodePurgeReply(Status::NotFound("no route")));
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
}

// IsMalformed decodes `reply` and says whether the decoder called it malformed (by its flag,
// with InvalidArgument; never by the message).
bool IsMalformed(std::string_view reply, TimePoint now) {
  bool malformed = false;
  Result<cache::EntryPtr> r = DecodeGetReply(reply, "/k", now, &malformed);
  return malformed && !r.ok() && r.status().code() == StatusCode::kInvalidArgument;
}

// A page's Link travels with its entry (api/page.h), so a peer's copy answers with it too.
TEST(MessagesTest, AnEntrysHeaderLinesTravelWithIt) {
  const TimePoint now = TimePoint() + seconds(1000);
  cache::EntryOptions o;
  o.key = "/v1/items?cursor=&limit=2";
  o.body = Bytes::Copy("[]");
  o.created = now;
  o.fresh_until = now + seconds(60);
  o.stale_until = now + seconds(120);
  o.headers = "Link: </v1/items?cursor=AQ&limit=2>; rel=\"next\"\r\n";
  const cache::EntryPtr e = cache::Entry::Make(std::move(o));
  Result<cache::EntryPtr> got = DecodeGetReply(EncodeEntryReply(*e, now, 0), e->key(), now);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ((*got)->headers(), e->headers());
}

TEST(MessagesTest, HeaderLinesThatAreNotHeaderLinesAreMalformed) {
  EXPECT_TRUE(IsWellFormedHeaderLines(""));
  EXPECT_TRUE(IsWellFormedHeaderLines("Link: <a>; rel=\"next\"\r\nX-A: b\r\n"));
  for (std::string_view bad :
       {std::string_view("Link: <a>"), std::string_view("Link <a>\r\n"),
        std::string_view(": x\r\n"), std::string_view("Li nk: x\r\n"),
        std::string_view("Link: a\rb\r\n"), std::string_view("Link: a\nSet-Cookie: s\r\n"),
        std::string_view("Link: a\r\n\r\nHTTP/1.1 200 OK\r\n")}) {
    EXPECT_FALSE(IsWellFormedHeaderLines(bad)) << bad;
  }
  // On the wire: an owner's reply whose lines would inject a header is not an entry.
  const TimePoint now = TimePoint() + seconds(1000);
  std::string reply = EntryReplyWithEtag("\"0123456789abcdef\"");
  reply.resize(reply.size() - 4);
  const std::string lines = "X: a\nSet-Cookie: s=1\r\n";
  reply.append(3, '\0');
  reply.push_back(static_cast<char>(lines.size()));
  reply.append(lines);
  bool malformed = false;
  EXPECT_FALSE(DecodeGetReply(reply, "/k", now, &malformed).ok());
  EXPECT_TRUE(malformed);
}

TEST(MessagesTest, EveryTruncationAndTrailingByteIsRejected) {
  const TimePoint now = TimePoint() + seconds(1000);
  const std::string reply = EncodeEntryReply(*MakeEntry(now), now, 0);
  for (size_t n = 0; n < reply.size(); ++n) {
    EXPECT_TRUE(IsMalformed(reply.substr(0, n), now)) << n;
  }
  EXPECT_TRUE(IsMalformed(reply + "x", now));
  const std::string get = EncodeGet("/k");
  for (size_t n = 0; n < get.size(); ++n) EXPECT_FALSE(DecodeGet(get.substr(0, n)).ok());
  EXPECT_FALSE(DecodeGet(get + "x").ok());
  const std::string purge = EncodePurge({PurgeKind::kKey, "/k"});
  for (size_t n = 0; n < purge.size(); ++n) EXPECT_FALSE(DecodePurge(purge.substr(0, n)).ok());
}

TEST(MessagesTest, HostileValuesAreRejected) {
  const TimePoint now = TimePoint() + seconds(1000);
  std::string reply = EncodeEntryReply(*MakeEntry(now), now, 0);
  std::string bad_kind = reply;
  bad_kind[1] = 9;
  EXPECT_TRUE(IsMalformed(bad_kind, now));
  std::string huge_age = reply;
  for (size_t i = 2; i < 10; ++i) huge_age[i] = '\x7f';
  EXPECT_TRUE(IsMalformed(huge_age, now));
  std::string bad_status = EncodeErrorReply(Status::Internal("x"));
  bad_status[0] = 99;
  EXPECT_TRUE(IsMalformed(bad_status, now));
  std::string purge = EncodePurge({PurgeKind::kKey, "/k"});
  purge[0] = 7;
  EXPECT_FALSE(DecodePurge(purge).ok());
  // A length field claiming more than the message holds.
  std::string long_key = EncodeGet("/k");
  long_key[0] = '\x7f';
  EXPECT_FALSE(DecodeGet(long_key).ok());
}

}  // namespace
}  // namespace shoal::cluster
