// cql_event: REGISTER frames and EVENT bodies, including malformed ones (refused, never a
// crash).
#include "store/cassandra/cql_event.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {
namespace {

std::string Inet4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port) {
  std::string out;
  AppendByte(out, 4);
  out += static_cast<char>(a);
  out += static_cast<char>(b);
  out += static_cast<char>(c);
  out += static_cast<char>(d);
  AppendInt(out, port);
  return out;
}

std::string Strings(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) AppendString(out, p);
  return out;
}

TEST(CqlEventTest, RegisterListsTheTypes) {
  std::string out = "x";
  const std::vector<EventType> types = {EventType::kTopologyChange, EventType::kStatusChange,
                                        EventType::kSchemaChange};
  ASSERT_TRUE(AppendRegister(out, 7, types).ok());
  const FrameHeader h = ParseFrameHeader(std::string_view(out).substr(1));
  EXPECT_EQ(h.opcode, Opcode::kRegister);
  EXPECT_EQ(h.stream, 7);
  EXPECT_EQ(h.length, out.size() - 1 - kFrameHeaderSize);
  WireReader r(std::string_view(out).substr(1 + kFrameHeaderSize));
  std::vector<std::string_view> names;
  ASSERT_TRUE(r.StringList(&names));
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"}));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(CqlEventTest, TopologyAndStatusChanges) {
  Result<Event> e =
      ParseEvent(Strings({"TOPOLOGY_CHANGE", "NEW_NODE"}) + Inet4(127, 0, 0, 3, 9042));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, EventType::kTopologyChange);
  EXPECT_EQ(e->change, "NEW_NODE");
  EXPECT_EQ(e->node, (HostPort{"127.0.0.3", 9042}));
  EXPECT_EQ(e->Describe(), "TOPOLOGY_CHANGE NEW_NODE 127.0.0.3:9042");

  e = ParseEvent(Strings({"STATUS_CHANGE", "DOWN"}) + Inet4(10, 1, 2, 3, 19042));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, EventType::kStatusChange);
  EXPECT_EQ(e->change, "DOWN");
  EXPECT_EQ(e->node, (HostPort{"10.1.2.3", 19042}));

  std::string v6 = Strings({"STATUS_CHANGE", "UP"});
  AppendByte(v6, 16);
  v6 += std::string(15, '\0') + "\x01";
  AppendInt(v6, 9042);
  e = ParseEvent(v6);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->node, (HostPort{"::1", 9042}));
}

TEST(CqlEventTest, SchemaChangesOfEveryTarget) {
  Result<Event> e = ParseEvent(Strings({"SCHEMA_CHANGE", "CREATED", "KEYSPACE", "ks"}));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, EventType::kSchemaChange);
  EXPECT_EQ(e->change, "CREATED");
  EXPECT_EQ(e->target, "KEYSPACE");
  EXPECT_EQ(e->keyspace, "ks");
  EXPECT_EQ(e->name, "");

  e = ParseEvent(Strings({"SCHEMA_CHANGE", "DROPPED", "TABLE", "ks", "t"}));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->Describe(), "SCHEMA_CHANGE DROPPED TABLE ks.t");

  std::string fn = Strings({"SCHEMA_CHANGE", "UPDATED", "FUNCTION", "ks", "f"});
  AppendShort(fn, 2);
  fn += Strings({"int", "text"});
  e = ParseEvent(fn);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->target, "FUNCTION");
  EXPECT_EQ(e->name, "f");
}

TEST(CqlEventTest, MalformedBodiesAreRefused) {
  const std::string good = Strings({"STATUS_CHANGE", "UP"}) + Inet4(127, 0, 0, 1, 9042);
  // Every truncation of a good body is refused.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseEvent(good.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(ParseEvent(good + "x").ok());  // bytes left over
  Result<Event> e = ParseEvent(Strings({"WEATHER_CHANGE", "RAIN"}));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("WEATHER_CHANGE"), std::string::npos);
  std::string bad_inet = Strings({"TOPOLOGY_CHANGE", "NEW_NODE"});
  AppendByte(bad_inet, 5);
  bad_inet += "abcde";
  AppendInt(bad_inet, 9042);
  EXPECT_FALSE(ParseEvent(bad_inet).ok());
  EXPECT_FALSE(ParseEvent(Strings({"TOPOLOGY_CHANGE", "NEW_NODE"}) + Inet4(1, 2, 3, 4, -1)).ok());
  EXPECT_FALSE(ParseEvent(Strings({"SCHEMA_CHANGE", "CREATED", "TABLE", "ks"})).ok());
  std::string fn = Strings({"SCHEMA_CHANGE", "CREATED", "AGGREGATE", "ks", "a"});
  AppendShort(fn, 3);
  fn += Strings({"int"});
  EXPECT_FALSE(ParseEvent(fn).ok());
  // An unknown change word is kept: the caller ignores it.
  e = ParseEvent(Strings({"TOPOLOGY_CHANGE", "SPLIT_NODE"}) + Inet4(1, 2, 3, 4, 9042));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->change, "SPLIT_NODE");
}

}  // namespace
}  // namespace shoal::store::cassandra
