// ReadThrough against a scripted Loader. The loader is a test double on purpose: the real
// loaders (api::StoreLoader over SQLite) are exercised through ReadThrough in api_test and in
// the process tests; here we need to hold loads open and fail them at will.
#include "cache/read_through.h"

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cache/test_collisions.h"

namespace shoal::cache {
namespace {

using std::chrono::seconds;

class ScriptedLoader final : public Loader {
 public:
  explicit ScriptedLoader(const Clock& clock) : clock_(clock) {}

  // Keys starting with "remote/" are owned by another node, as a cluster's loader would say.
  bool IsLocal(std::string_view key) const override { return !key.starts_with("remote/"); }
  // A key's purge group: the letter after its first '/', or its first letter ("remote/" is 'r').
  uint32_t GroupOf(std::string_view key) const override {
    if (key.size() > 1 && key[0] == '/') return static_cast<unsigned char>(key[1]);
    return key.empty() ? 0 : static_cast<unsigned char>(key[0]);
  }

  // The policy: keys under "/n" are never kept, keys under "/e" have no stale-if-error window.
  KeyPolicy PolicyOf(std::string_view key) const override {
    KeyPolicy p;
    p.group = GroupOf(key);
    p.keep = !key.starts_with("/n");
    if (key.starts_with("/e")) p.stale_if_error = seconds(0);
    return p;
  }

  void Load(std::string key, Scope scope, LoadCallback done) override {
    loads_.fetch_add(1);
    MutexLock lock(mu_);
    pending_.push_back({std::move(key), scope, std::move(done)});
    cv_.NotifyAll();
  }

  // NextScope waits for a pending load and returns its scope without completing it.
  Scope NextScope() {
    MutexLock lock(mu_);
    cv_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return !pending_.empty(); });
    return pending_.front().scope;
  }

  // CompleteNext waits for one pending load and finishes it with a body (or `error`), to be
  // kept where `keep` says.
  void CompleteNext(const std::string& body, const Status& error = Status::Ok(),
                    Keep keep = Keep::kMain, std::string tags = "", bool no_store = false) {
    Pending p;
    {
      MutexLock lock(mu_);
      cv_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return !pending_.empty(); });
      p = std::move(pending_.front());
      pending_.erase(pending_.begin());
    }
    if (!error.ok()) {
      p.done(error, keep);
      return;
    }
    EntryOptions o;
    o.key = p.key;
    o.body = Bytes::Copy(body);
    o.created = clock_.Now();
    o.fresh_until = o.created + seconds(10);
    o.stale_until = o.fresh_until + seconds(5);
    o.tags = std::move(tags);
    o.no_store = no_store;
    p.done(Entry::Make(std::move(o)), keep);
  }

  int loads() const { return loads_.load(); }

  // FailPending fails every load still open, so that ReadThrough's shutdown can finish.
  void FailPending() {
    std::vector<Pending> open;
    {
      MutexLock lock(mu_);
      open.swap(pending_);
    }
    for (auto& p : open) p.done(Status::Cancelled("test over"), Keep::kNone);
  }

 private:
  struct Pending {
    std::string key;
    Scope scope = Scope::kCluster;
    LoadCallback done;
  };
  const Clock& clock_;
  std::atomic<int> loads_{0};
  Mutex mu_;
  CondVar cv_;
  std::vector<Pending> pending_ SHOAL_GUARDED_BY(mu_);
};

struct Answer {
  std::atomic<int> calls{0};
  Result<EntryPtr> result{Status::Internal("unset")};
  Source source = Source::kHit;
};

ReadThrough::Callback Record(Answer* a) {
  return [a](Result<EntryPtr> r, Source s) {
    a->result = std::move(r);
    a->source = s;
    a->calls.fetch_add(1);
  };
}

class ReadThroughTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  Cache cache_{{.capacity_bytes = 1 << 20}};
  Cache hot_{{.capacity_bytes = 1 << 18}};
  ScriptedLoader loader_{clock_};
  ReadThrough rt_{cache_, loader_, clock_, {.stale_if_error = seconds(60)}, &hot_};

  void TearDown() override { loader_.FailPending(); }

  // Fill loads `key` with `body` through the miss path.
  void Fill(const std::string& key, const std::string& body) {
    Answer a;
    rt_.Load(key, Record(&a));
    loader_.CompleteNext(body);
    ASSERT_EQ(a.calls.load(), 1);
    ASSERT_TRUE(a.result.ok());
  }

  // HitBody looks `key` up expecting a fresh hit, and returns the body served ("" if none).
  std::string HitBody(const std::string& key) {
    Source s = Source::kStale;
    EntryPtr e = rt_.Lookup(key, &s);
    EXPECT_NE(e, nullptr) << key;
    EXPECT_EQ(s, Source::kHit) << key;
    return e != nullptr ? std::string(e->body()) : "";
  }
};

TEST_F(ReadThroughTest, MissLoadsOnceThenHits) {
  Source s;
  EXPECT_EQ(rt_.Lookup("k", &s), nullptr);
  Fill("k", "v1");
  EXPECT_EQ(HitBody("k"), "v1");
  EXPECT_EQ(loader_.loads(), 1);
}

TEST_F(ReadThroughTest, TwoHundredConcurrentMissesMakeOneLoad) {
  constexpr int kCallers = 200;
  std::vector<Answer> answers(kCallers);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t, &answers] {
      for (int i = t; i < kCallers; i += 4)
        rt_.Load("hot", Record(&answers[static_cast<size_t>(i)]));
    });
  }
  for (auto& t : threads) t.join();
  loader_.CompleteNext("body");
  EXPECT_EQ(loader_.loads(), 1);
  for (auto& a : answers) {
    ASSERT_EQ(a.calls.load(), 1);
    ASSERT_TRUE(a.result.ok());
    EXPECT_EQ((*a.result)->body(), "body");
    EXPECT_EQ(a.source, Source::kMiss);
  }
  EXPECT_EQ(rt_.Stats().dedup_waits, kCallers - 1u);
}

TEST_F(ReadThroughTest, LoadAfterAnotherLoadFinishedUsesTheCacheNotTheStore) {
  Fill("k", "v");
  Answer a;
  rt_.Load("k", Record(&a));  // a caller whose Lookup missed just before the fill
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(a.source, Source::kHit);
  EXPECT_EQ(loader_.loads(), 1);
}

TEST_F(ReadThroughTest, StaleHitIsServedAtOnceAndStartsOneRefresh) {
  Fill("k", "old");
  clock_.Advance(seconds(11));  // past ttl (10 s), within grace (5 s)
  Source s;
  for (int i = 0; i < 10; ++i) {
    EntryPtr e = rt_.Lookup("k", &s);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(s, Source::kStale);
    EXPECT_EQ(e->body(), "old");
  }
  EXPECT_EQ(loader_.loads(), 2);  // the fill and one refresh
  loader_.CompleteNext("new");
  EXPECT_EQ(HitBody("k"), "new");
}

TEST_F(ReadThroughTest, PastGraceIsAMiss) {
  Fill("k", "old");
  clock_.Advance(seconds(16));
  Source s;
  EXPECT_EQ(rt_.Lookup("k", &s), nullptr);
  EXPECT_EQ(loader_.loads(), 1);
}

TEST_F(ReadThroughTest, StoreErrorServesTheOlderEntry) {
  Fill("k", "old");
  clock_.Advance(seconds(30));  // past grace, within stale_if_error (60 s past ttl)
  Answer a;
  rt_.Load("k", Record(&a));
  loader_.CompleteNext("", Status::Unavailable("store down"));
  ASSERT_EQ(a.calls.load(), 1);
  ASSERT_TRUE(a.result.ok());
  EXPECT_EQ(a.source, Source::kStaleIfError);
  EXPECT_EQ((*a.result)->body(), "old");
  EXPECT_EQ(rt_.Stats().stale_if_error, 1u);
}

TEST_F(ReadThroughTest, StoreErrorWithoutAnOlderEntryIsTheError) {
  Answer a;
  rt_.Load("k", Record(&a));
  loader_.CompleteNext("", Status::Unavailable("store down"));
  ASSERT_EQ(a.calls.load(), 1);
  ASSERT_FALSE(a.result.ok());
  EXPECT_EQ(a.result.status().code(), StatusCode::kUnavailable);
}

TEST_F(ReadThroughTest, StoreErrorTooLongAfterFreshnessIsTheError) {
  Fill("k", "old");
  clock_.Advance(seconds(100));  // 90 s past ttl: beyond stale_if_error
  Answer a;
  rt_.Load("k", Record(&a));
  loader_.CompleteNext("", Status::Unavailable("store down"));
  ASSERT_FALSE(a.result.ok());
}

TEST_F(ReadThroughTest, FailedRefreshKeepsServingTheStaleEntry) {
  Fill("k", "old");
  clock_.Advance(seconds(11));
  Source s;
  ASSERT_NE(rt_.Lookup("k", &s), nullptr);
  loader_.CompleteNext("", Status::Unavailable("store down"));
  EntryPtr e = rt_.Lookup("k", &s);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(s, Source::kStale);
  EXPECT_EQ(e->body(), "old");
  EXPECT_EQ(loader_.loads(), 3);  // the fill, the failed refresh, and a new one
}

TEST_F(ReadThroughTest, RemoteKeysGoWhereTheLoaderSays) {
  Answer a;
  rt_.Load("remote/rare", Record(&a));
  EXPECT_EQ(loader_.NextScope(), Scope::kCluster);
  loader_.CompleteNext("r", Status::Ok(), Keep::kNone);
  ASSERT_TRUE(a.result.ok());
  Source s;
  EXPECT_EQ(rt_.Lookup("remote/rare", &s), nullptr);  // kept nowhere: asked again next time
  EXPECT_EQ(cache_.Lookup("remote/rare"), nullptr);

  Answer b;
  rt_.Load("remote/popular", Record(&b));
  loader_.CompleteNext("p", Status::Ok(), Keep::kHot);
  EXPECT_EQ(cache_.Lookup("remote/popular"), nullptr);
  ASSERT_NE(hot_.Lookup("remote/popular"), nullptr);
  EXPECT_EQ(HitBody("remote/popular"), "p");
  EXPECT_EQ(rt_.Stats().hot_hits, 1u);
}

TEST_F(ReadThroughTest, AnotherNodesAnswerIsAPeerLoadForEveryWaiter) {
  Answer a, b, c, d;
  rt_.Load("remote/x", Record(&a));
  rt_.Load("remote/x", Record(&b));  // joins the flight
  loader_.CompleteNext("x", Status::Ok(), Keep::kNone);
  EXPECT_EQ(a.source, Source::kPeer);
  EXPECT_EQ(b.source, Source::kPeer);
  rt_.Load("remote/y", Record(&c));
  loader_.CompleteNext("y", Status::Ok(), Keep::kHot);
  EXPECT_EQ(c.source, Source::kPeer);
  // An answer kept in the main cache is this node's own load; a failure is no peer answer.
  rt_.Load("remote/z", Record(&d));
  loader_.CompleteNext("", Status::Unavailable("owner down"), Keep::kNone);
  EXPECT_FALSE(d.result.ok());
  EXPECT_EQ(d.source, Source::kMiss);
}

TEST_F(ReadThroughTest, RefreshOfAHotCopyKeepsItInTheHotCache) {
  Answer a;
  rt_.Load("remote/k", Record(&a));
  loader_.CompleteNext("old", Status::Ok(), Keep::kHot);
  clock_.Advance(seconds(11));
  Source s;
  ASSERT_NE(rt_.Lookup("remote/k", &s), nullptr);
  EXPECT_EQ(s, Source::kStale);
  // The loader no longer asks to keep it (its frequency decayed), but the copy is refreshed.
  loader_.CompleteNext("new", Status::Ok(), Keep::kNone);
  EXPECT_EQ(HitBody("remote/k"), "new");
}

// A key loaded into the main cache (its owner down, or this node its owner now) drops its
// older hot copy: a key is in one cache at most, so Lookup may try the hot front table first.
TEST_F(ReadThroughTest, AKeyKeptInTheMainCacheLeavesTheHotCache) {
  Answer a;
  rt_.Load("remote/k", Record(&a));
  loader_.CompleteNext("hot", Status::Ok(), Keep::kHot);
  EXPECT_EQ(HitBody("remote/k"), "hot");  // twice: the second from this thread's front table
  EXPECT_EQ(HitBody("remote/k"), "hot");
  EXPECT_EQ(rt_.Stats().hot_hits, 2u);
  clock_.Advance(seconds(11));
  Source s;
  ASSERT_NE(rt_.Lookup("remote/k", &s), nullptr);  // stale: one refresh
  EXPECT_EQ(s, Source::kStale);
  loader_.CompleteNext("main", Status::Ok(), Keep::kMain);
  EXPECT_EQ(hot_.Lookup("remote/k"), nullptr);
  ASSERT_NE(cache_.Lookup("remote/k"), nullptr);
  EXPECT_EQ(HitBody("remote/k"), "main");
  EXPECT_EQ(HitBody("remote/k"), "main");
  EXPECT_EQ(rt_.Stats().hot_hits, 2u);
  // And back: kept hot again, the main copy goes (as before), and the hot copy is served.
  clock_.Advance(seconds(11));
  ASSERT_NE(rt_.Lookup("remote/k", &s), nullptr);
  loader_.CompleteNext("hot again", Status::Ok(), Keep::kHot);
  EXPECT_EQ(cache_.Lookup("remote/k"), nullptr);
  EXPECT_EQ(HitBody("remote/k"), "hot again");
  EXPECT_EQ(HitBody("remote/k"), "hot again");
}

TEST_F(ReadThroughTest, PeerRequestJoinsALocalFlight) {
  Answer a, b;
  rt_.Load("k", Record(&a));  // owned here: loads from this node's store
  EXPECT_EQ(loader_.NextScope(), Scope::kLocal);
  rt_.Load("k", Record(&b), Scope::kLocal);  // a peer asks for the same key meanwhile
  loader_.CompleteNext("v");
  EXPECT_EQ(loader_.loads(), 1);
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 1);
}

TEST_F(ReadThroughTest, PeerRequestNeverWaitsOnAForwardedFlight) {
  Answer a, b, c;
  rt_.Load("remote/k", Record(&a));  // forwarded to its owner
  EXPECT_EQ(loader_.NextScope(), Scope::kCluster);
  // A peer that thinks this node owns the key asks for it: it must be loaded here, not
  // joined to the forwarded flight (the two nodes would wait on each other).
  rt_.Load("remote/k", Record(&b), Scope::kLocal);
  rt_.Load("remote/k", Record(&c), Scope::kLocal);  // joins the side flight
  EXPECT_EQ(loader_.loads(), 2);
  loader_.CompleteNext("forwarded", Status::Ok(), Keep::kNone);
  ASSERT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 0);
  EXPECT_EQ(loader_.NextScope(), Scope::kLocal);
  loader_.CompleteNext("local");
  ASSERT_EQ(b.calls.load(), 1);
  ASSERT_EQ(c.calls.load(), 1);
  EXPECT_EQ((*b.result)->body(), "local");
  EXPECT_EQ((*c.result)->body(), "local");
}

TEST_F(ReadThroughTest, AnAnswerKeptElsewhereReplacesAnOlderMainCopy) {
  // "remote/k" was loaded here while its owner was down: it sits in the main cache.
  Answer a;
  rt_.Load("remote/k", Record(&a));
  loader_.CompleteNext("old", Status::Ok(), Keep::kMain);
  clock_.Advance(seconds(11));  // stale: the refresh goes to the owner, which is back
  Source s;
  ASSERT_NE(rt_.Lookup("remote/k", &s), nullptr);
  loader_.CompleteNext("new", Status::Ok(), Keep::kHot);
  EXPECT_EQ(cache_.Lookup("remote/k"), nullptr);  // the old main copy no longer hides it
  EXPECT_EQ(HitBody("remote/k"), "new");
  EXPECT_EQ(loader_.loads(), 2);
}

TEST_F(ReadThroughTest, APurgeWinsOverALoadAlreadyInFlight) {
  Fill("k", "v1");
  Answer a;
  rt_.Load("gone", Record(&a));      // its query ran before the purge...
  EXPECT_EQ(rt_.Erase("gone"), 0u);  // ...the purge comes...
  EXPECT_EQ(rt_.Erase("k"), 1u);
  loader_.CompleteNext("pre-purge");  // ...and the answer arrives after it
  ASSERT_EQ(a.calls.load(), 1);
  EXPECT_EQ((*a.result)->body(), "pre-purge");  // the waiter still gets it
  Source s;
  EXPECT_EQ(rt_.Lookup("gone", &s), nullptr);  // but it is not kept
  // A load that starts after the purge is kept as usual.
  Fill("gone", "post-purge");
  EXPECT_NE(rt_.Lookup("gone", &s), nullptr);
}

TEST_F(ReadThroughTest, PurgeGroupPurgesBothCachesByTheLoadersGroup) {
  Fill("/a/1", "x");  // the loader's group: the first path segment's letter, 'a'
  Answer b;
  rt_.Load("remote/a/2", Record(&b));
  loader_.CompleteNext("y", Status::Ok(), Keep::kHot);
  Fill("/b/1", "z");
  EXPECT_EQ(rt_.PurgeGroup('a'), 1u);
  EXPECT_EQ(rt_.PurgeGroup('r'), 1u);  // the hot copy
  Source s;
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);
  EXPECT_EQ(rt_.Lookup("remote/a/2", &s), nullptr);
  EXPECT_NE(rt_.Lookup("/b/1", &s), nullptr);
}

TEST_F(ReadThroughTest, APurgeGroupWinsOverALoadAlreadyInFlight) {
  Answer a;
  rt_.Load("/a/1", Record(&a));        // its query ran before the purge...
  EXPECT_EQ(rt_.PurgeGroup('a'), 0u);  // ...the purge comes...
  loader_.CompleteNext("pre-purge");   // ...and the answer arrives after it
  ASSERT_EQ(a.calls.load(), 1);
  Source s;
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);  // not kept
}

TEST_F(ReadThroughTest, PurgeTagsRemovesTaggedEntriesFromBothCaches) {
  Answer a, b, c;
  rt_.Load("/a/1", Record(&a));
  loader_.CompleteNext("x", Status::Ok(), Keep::kMain, "item:1 cat:a");
  rt_.Load("remote/a/2", Record(&b));
  loader_.CompleteNext("y", Status::Ok(), Keep::kHot, "item:2 cat:a");
  rt_.Load("/b/3", Record(&c));
  loader_.CompleteNext("z", Status::Ok(), Keep::kMain, "item:3 cat:b");
  EXPECT_EQ(rt_.PurgeTags({"cat:a", "item:1"}), 2u);  // each entry once
  Source s;
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);
  EXPECT_EQ(rt_.Lookup("remote/a/2", &s), nullptr);
  EXPECT_EQ(HitBody("/b/3"), "z");
}

TEST_F(ReadThroughTest, ATagPurgeWinsOverALoadAlreadyInFlight) {
  Answer a;
  rt_.Load("/a/1", Record(&a));              // its query ran before the purge...
  EXPECT_EQ(rt_.PurgeTags({"item:1"}), 0u);  // ...the purge comes...
  loader_.CompleteNext("pre-purge", Status::Ok(), Keep::kMain, "item:1");  // ...then the answer
  ASSERT_EQ(a.calls.load(), 1);
  EXPECT_EQ((*a.result)->body(), "pre-purge");  // the waiter still gets it
  Source s;
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);  // but it is not kept
}

TEST_F(ReadThroughTest, ASoftPurgeServesStaleAtOnceAndStartsOneRefresh) {
  Answer a;
  rt_.Load("/a/1", Record(&a));
  loader_.CompleteNext("old", Status::Ok(), Keep::kMain, "item:1");
  EXPECT_EQ(rt_.PurgeTags({"item:1"}, /*soft=*/true), 1u);
  EXPECT_EQ(rt_.PurgeTags({"item:1"}, /*soft=*/true), 0u);  // marked already
  Source s = Source::kHit;
  for (int i = 0; i < 10; ++i) {
    EntryPtr e = rt_.Lookup("/a/1", &s);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(s, Source::kStale);
    EXPECT_EQ(e->body(), "old");
  }
  EXPECT_EQ(loader_.loads(), 2);  // the fill and one refresh
  loader_.CompleteNext("new", Status::Ok(), Keep::kMain, "item:1");
  EXPECT_EQ(HitBody("/a/1"), "new");
  // Soft key and group purges too; past the grace (5 s from the purge) it is a miss.
  EXPECT_EQ(rt_.Erase("/a/1", /*soft=*/true), 1u);
  EXPECT_NE(rt_.Lookup("/a/1", &s), nullptr);
  EXPECT_EQ(s, Source::kStale);
  loader_.CompleteNext("newer");
  EXPECT_EQ(rt_.PurgeGroup('a', /*soft=*/true), 1u);
  clock_.Advance(seconds(6));
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);
}

TEST_F(ReadThroughTest, AReaderThatSawTheStaleEntryBeforeItsRefreshEndedStartsNoOther) {
  // Readers take the stale entry, then look for its flight: a refresh that ends in between
  // must not be started again (the CI of 2026-12-06 counted two store queries for one soft
  // purge under load). Each round marks the entry stale and races readers against the end
  // of its one refresh.
  Fill("/a/1", "v");
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ(rt_.Erase("/a/1", /*soft=*/true), 1u);
    std::vector<std::thread> readers;
    readers.reserve(3);
    for (int t = 0; t < 3; ++t) {
      readers.emplace_back([this] {
        Source s = Source::kStale;
        while (s != Source::kHit) ASSERT_NE(rt_.Lookup("/a/1", &s), nullptr);
      });
    }
    loader_.CompleteNext("v");
    for (auto& r : readers) r.join();
    ASSERT_EQ(loader_.loads(), round + 2) << "round " << round;
  }
}

TEST_F(ReadThroughTest, AnAnswerMarkedNoStoreIsServedAndKeptNowhere) {
  Fill("/a/1", "old");
  clock_.Advance(seconds(11));  // stale: the next lookup refreshes
  Source s;
  ASSERT_NE(rt_.Lookup("/a/1", &s), nullptr);
  loader_.CompleteNext("too many tags", Status::Ok(), Keep::kMain, "", /*no_store=*/true);
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);  // the older copy went too
  Answer a;
  rt_.Load("/a/1", Record(&a));
  loader_.CompleteNext("too many tags", Status::Ok(), Keep::kMain, "", /*no_store=*/true);
  ASSERT_EQ(a.calls.load(), 1);
  EXPECT_EQ((*a.result)->body(), "too many tags");
  EXPECT_EQ(a.source, Source::kMiss);
  EXPECT_EQ(rt_.Lookup("/a/1", &s), nullptr);
  EXPECT_EQ(cache_.Stats().entries, 0u);
}

TEST_F(ReadThroughTest, FlightsOfKeysCollidingUnderStdHashSpreadOverBuckets) {
  // 4,096 keys with one std::hash value (libstdc++'s; security review 2026-12-05, H4), all
  // loading at once: each Load compares its key with every flight of its bucket.
  const std::vector<std::string> keys =
      testing::CollidingKeys(testing::StdHashWords(), "/v1/categories/x", 12, "/items");
  ASSERT_EQ(keys.size(), 4096u);
  const size_t hash = std::hash<std::string_view>{}(keys[0]);
  for (const std::string& key : keys) {
    if (std::hash<std::string_view>{}(key) != hash) {
      GTEST_SKIP() << "this standard library's std::hash is not libstdc++'s _Hash_bytes";
    }
  }
  std::vector<Answer> answers(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) rt_.Load(keys[i], Record(&answers[i]));
  EXPECT_EQ(loader_.loads(), 4096);
  EXPECT_LE(rt_.LargestFlightBucket(), 16u);
  loader_.FailPending();  // while `answers` is alive: the callbacks write there
}

TEST_F(ReadThroughTest, ShutdownWaitsForLoadsInFlightAndRefusesNewOnes) {
  Answer a;
  rt_.Load("k", Record(&a));
  std::atomic<bool> done{false};
  std::thread stopper([this, &done] {
    rt_.Shutdown();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(done.load());  // the load is still in flight
  loader_.CompleteNext("v");
  stopper.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(a.calls.load(), 1);
  Answer b;
  rt_.Load("other", Record(&b));
  ASSERT_EQ(b.calls.load(), 1);
  EXPECT_EQ(b.result.status().code(), StatusCode::kCancelled);
}

// The outcome of each waiter of one load, recorded.
struct Outcomes {
  Mutex mu;
  std::vector<LoadOutcome> seen SHOAL_GUARDED_BY(mu);
  std::vector<bool> ok SHOAL_GUARDED_BY(mu);
};

ReadThrough::OutcomeCallback RecordOutcome(Outcomes* o) {
  return [o](const Result<EntryPtr>& r, const LoadOutcome& outcome) {
    MutexLock lock(o->mu);
    o->seen.push_back(outcome);
    o->ok.push_back(r.ok());
  };
}

TEST_F(ReadThroughTest, AKeyThePolicySaysNotToKeepIsLoadedOncePerWaveAndNeverStored) {
  Outcomes o;
  rt_.LoadWithOutcome("/nothing", RecordOutcome(&o));
  rt_.LoadWithOutcome("/nothing", RecordOutcome(&o));
  loader_.CompleteNext("{}");
  EXPECT_EQ(loader_.loads(), 1);
  {
    MutexLock lock(o.mu);
    ASSERT_EQ(o.seen.size(), 2u);
    EXPECT_TRUE(o.ok[0] && o.ok[1]);
    EXPECT_EQ(o.seen[0].source, Source::kMiss);
    EXPECT_FALSE(o.seen[0].stored);
    EXPECT_FALSE(o.seen[0].collapsed);
    EXPECT_FALSE(o.seen[1].stored);
    EXPECT_TRUE(o.seen[1].collapsed);
  }
  EXPECT_EQ(cache_.Lookup("/nothing"), nullptr);
  // The next wave loads again.
  Outcomes again;
  rt_.LoadWithOutcome("/nothing", RecordOutcome(&again));
  loader_.CompleteNext("{}");
  EXPECT_EQ(loader_.loads(), 2);
  // A key kept as usual says stored.
  Outcomes kept;
  rt_.LoadWithOutcome("/kept", RecordOutcome(&kept));
  loader_.CompleteNext("{}");
  MutexLock lock(kept.mu);
  ASSERT_EQ(kept.seen.size(), 1u);
  EXPECT_TRUE(kept.seen[0].stored);
  EXPECT_NE(cache_.Lookup("/kept"), nullptr);
}

TEST_F(ReadThroughTest, StaleIfErrorIsThePolicysWindow) {
  Fill("/e1", "old e");         // no window: the policy's 0 s
  Fill("/x1", "old x");         // the ReadThrough's 60 s
  clock_.Advance(seconds(20));  // past fresh (10 s) and grace (5 s)
  Outcomes e, x;
  rt_.LoadWithOutcome("/e1", RecordOutcome(&e));
  loader_.CompleteNext("", Status::Unavailable("down"));
  rt_.LoadWithOutcome("/x1", RecordOutcome(&x));
  loader_.CompleteNext("", Status::Unavailable("down"));
  MutexLock le(e.mu);
  ASSERT_EQ(e.seen.size(), 1u);
  EXPECT_FALSE(e.ok[0]);
  MutexLock lx(x.mu);
  ASSERT_EQ(x.seen.size(), 1u);
  EXPECT_TRUE(x.ok[0]);
  EXPECT_EQ(x.seen[0].source, Source::kStaleIfError);
  EXPECT_EQ(x.seen[0].error, StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shoal::cache
