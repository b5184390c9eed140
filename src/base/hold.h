// Hold keeps alive what views point into without knowing its type: a shared_ptr's share (a
// Bytes buffer) or one reference to an intrusively counted object (a boost::intrusive_ptr's,
// such as a cached entry's: cache/entry.h). An http Response holds its owner this way, so that the
// http layer needs to know neither the cache nor its entries.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <boost/smart_ptr/intrusive_ptr.hpp>

namespace shoal {

class Hold {
 public:
  Hold() = default;
  Hold(std::nullptr_t) {}              // NOLINT(google-explicit-constructor): as shared_ptr's
  Hold(std::shared_ptr<const void> p)  // NOLINT(google-explicit-constructor)
      : shared_(std::move(p)) {}
  template <typename T>
  Hold(boost::intrusive_ptr<T> p)                  // NOLINT(google-explicit-constructor)
      : counted_(p.detach()), ops_(&kOpsOf<T>) {}  // its reference is now ours

  Hold(const Hold& o) : shared_(o.shared_), counted_(o.counted_), ops_(o.ops_) {
    if (counted_ != nullptr) ops_->add(counted_);
  }
  Hold(Hold&& o) noexcept
      : shared_(std::move(o.shared_)),
        counted_(std::exchange(o.counted_, nullptr)),
        ops_(std::exchange(o.ops_, nullptr)) {}
  Hold& operator=(const Hold& o) {
    Hold(o).swap(*this);
    return *this;
  }
  Hold& operator=(Hold&& o) noexcept {
    Hold(std::move(o)).swap(*this);
    return *this;
  }
  ~Hold() {
    if (counted_ != nullptr) ops_->release(counted_);
  }

  void reset() { Hold().swap(*this); }
  void swap(Hold& o) noexcept {
    shared_.swap(o.shared_);
    std::swap(counted_, o.counted_);
    std::swap(ops_, o.ops_);
  }
  // Whether it holds anything.
  explicit operator bool() const { return shared_ != nullptr || counted_ != nullptr; }
  friend bool operator==(const Hold& h, std::nullptr_t) { return !h; }

 private:
  struct Ops {
    void (*add)(const void*);
    void (*release)(const void*);
  };
  template <typename T>
  static constexpr Ops kOpsOf = {
      .add = [](const void* p) { intrusive_ptr_add_ref(static_cast<const T*>(p)); },
      .release = [](const void* p) { intrusive_ptr_release(static_cast<const T*>(p)); },
  };

  std::shared_ptr<const void> shared_;
  const void* counted_ = nullptr;
  const Ops* ops_ = nullptr;
};

}  // namespace shoal
