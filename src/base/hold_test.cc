#include "base/hold.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <gtest/gtest.h>

namespace shoal {
namespace {

// Counted counts its own references (as a cache entry does) and records its destruction.
class Counted {
 public:
  explicit Counted(int* freed) : freed_(freed) {}
  // NOLINTNEXTLINE(readability-identifier-naming): the names boost::intrusive_ptr calls
  friend void intrusive_ptr_add_ref(const Counted* c) {
    c->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  // NOLINTNEXTLINE(readability-identifier-naming)
  friend void intrusive_ptr_release(const Counted* c) {
    if (c->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      ++*c->freed_;
      delete c;
    }
  }
  uint32_t refs() const { return refs_.load(std::memory_order_relaxed); }

 private:
  ~Counted() = default;
  mutable std::atomic<uint32_t> refs_{0};
  int* freed_;
};

TEST(HoldTest, KeepsACountedObjectAliveThroughCopiesAndMoves) {
  int freed = 0;
  boost::intrusive_ptr<const Counted> p(new Counted(&freed));
  const Counted* raw = p.get();
  Hold h = p;  // a second reference, which the Hold takes over
  EXPECT_EQ(raw->refs(), 2U);
  p.reset();
  Hold copy = h;
  EXPECT_EQ(raw->refs(), 2U);
  Hold moved = std::move(h);
  EXPECT_FALSE(h);  // NOLINT(bugprone-use-after-move): a moved-from Hold is empty
  EXPECT_EQ(raw->refs(), 2U);
  copy = moved;  // assigning a holder of the same object: one more, one fewer
  EXPECT_EQ(raw->refs(), 2U);
  copy.reset();
  EXPECT_EQ(freed, 0);
  EXPECT_TRUE(moved);
  moved = nullptr;
  EXPECT_EQ(freed, 1);
}

TEST(HoldTest, AssignmentReleasesWhatItHeldBefore) {
  int freed = 0;
  Hold h = boost::intrusive_ptr<const Counted>(new Counted(&freed));
  auto shared = std::make_shared<int>(1);
  std::weak_ptr<int> watch = shared;
  h = std::shared_ptr<const void>(std::move(shared));
  EXPECT_EQ(freed, 1);
  EXPECT_FALSE(watch.expired());
  h = boost::intrusive_ptr<const Counted>(new Counted(&freed));
  EXPECT_TRUE(watch.expired());
  h.reset();
  EXPECT_EQ(freed, 2);
}

TEST(HoldTest, KeepsASharedPtrsObjectAlive) {
  auto p = std::make_shared<int>(7);
  std::weak_ptr<int> watch = p;
  Hold h = std::shared_ptr<const void>(std::move(p));
  EXPECT_FALSE(watch.expired());
  Hold other = h;
  h.reset();
  EXPECT_FALSE(watch.expired());
  other.reset();
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(Hold(), nullptr);
}

}  // namespace
}  // namespace shoal
