// Tests of parking (session_memory.cc): an idle keep-alive connection gives its buffers back
// (the buffer_bytes gauge falls to almost nothing) and serves requests, pipelined ones too,
// once woken; a parked connection that the client closes is closed; parked connections drain.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.h"
#include "http/server_test_util.h"

namespace shoal::http::test {
namespace {

using namespace std::chrono_literals;

// Below this, the gauge says no connection holds a receive buffer (4 KiB at least): what it
// still counts is the parser's empty string (its inline capacity, 15 bytes each).
constexpr uint64_t kParked = 1024;

// WaitFor polls `done` until it holds or `limit` has passed; returns its last value.
template <typename F>
bool WaitFor(F done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TEST_F(ServerTest, IdleConnectionsGiveTheirBuffersBackAndWakeOnTheNextRequest) {
  StartServer({}, 1);
  constexpr size_t kClients = 8;
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(port()));
    ASSERT_TRUE(clients.back()->connected());
    ASSERT_TRUE(clients.back()->Send(Get("/sync?first=" + std::to_string(i))));
    Reply r = clients.back()->Read();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "sync first=" + std::to_string(i));
  }
  // Busy (just used): each holds its receive buffer.
  EXPECT_GE(server_->stats().buffer_bytes, uint64_t{kClients} * 4096);
  // Quiet for a while: each parks and holds none.
  EXPECT_TRUE(WaitFor([&] { return server_->stats().buffer_bytes < kParked; }))
      << server_->stats().buffer_bytes << " bytes still held";
  EXPECT_EQ(server_->stats().connections_open, uint64_t{kClients});

  // Woken by the next request, pipelined three deep (the slots are back), answered in order.
  for (size_t i = 0; i < kClients; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE(clients[i]->Send(Get("/sync?a=" + n) + Get("/async?b=" + n) + Get("/sync?c=" + n)));
  }
  for (size_t i = 0; i < kClients; ++i) {
    const std::string n = std::to_string(i);
    for (const std::string& want : {"sync a=" + n, "async b=" + n, "sync c=" + n}) {
      Reply r = clients[i]->Read();
      ASSERT_TRUE(r.ok) << want;
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body, want);
    }
  }
  EXPECT_GT(server_->stats().buffer_bytes, 0u);
  EXPECT_EQ(server_->stats().requests, uint64_t{kClients} * 4);

  // They park again, and a drain closes parked connections at once (TearDown checks Run ends).
  EXPECT_TRUE(WaitFor([&] { return server_->stats().buffer_bytes < kParked; }));
  StopServer();
  for (auto& c : clients) EXPECT_TRUE(c->AtEof());
}

TEST_F(ServerTest, AParkedConnectionThatTheClientClosesIsClosed) {
  StartServer({}, 1);
  {
    Client c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(Get("/sync?x=1")));
    ASSERT_TRUE(c.Read().ok);
    ASSERT_TRUE(WaitFor([&] { return server_->stats().buffer_bytes < kParked; }));
    EXPECT_EQ(server_->stats().connections_open, 1u);
  }  // closes
  EXPECT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
}

TEST_F(ServerTest, AConnectionThatNeverSpokeParksAndIsStillServed) {
  StartServer({}, 1);
  Client c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 1; }));
  // Accepted with a buffer and a read; parked once quiet for a while.
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(WaitFor([&] { return server_->stats().buffer_bytes < kParked; }));
  ASSERT_TRUE(c.Send(Get("/sync?late=1")));
  Reply r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "sync late=1");
}

}  // namespace
}  // namespace shoal::http::test
