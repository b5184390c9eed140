// Bytes: an immutable, shared, exactly-sized byte buffer.
//
// A cached response body lives in one Bytes. The buffer is one allocation that holds the
// reference count and exactly size() bytes, so an Entry is charged for what it really keeps
// alive and never pins a larger read buffer (the Go "reslice" lesson in DESIGN.md).
// Copying a Bytes copies a pointer. Thread-safe for concurrent readers; the content never
// changes after construction.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace shoal {

class Bytes {
 public:
  Bytes() = default;

  // Copy copies `data` into a new buffer of exactly data.size() bytes.
  static Bytes Copy(std::string_view data) {
    Bytes b;
    if (!data.empty()) {
      auto buf = std::make_shared_for_overwrite<char[]>(data.size());
      std::memcpy(buf.get(), data.data(), data.size());
      b.data_ = std::move(buf);
      b.size_ = data.size();
    }
    return b;
  }

  // FromString copies the string's bytes; the string's spare capacity is not kept.
  static Bytes FromString(const std::string& s) { return Copy(s); }

  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.get(), size_}; }
  // Share returns the buffer's owning reference, for a holder that keeps a view() alive.
  std::shared_ptr<const void> Share() const { return data_; }

  // Overhead is what one buffer costs beyond its bytes: the shared control block (an
  // estimate of libstdc++'s _Sp_counted_ptr_inplace) and malloc's header.
  static constexpr size_t kOverhead = 32;

 private:
  std::shared_ptr<const char[]> data_;
  size_t size_ = 0;
};

}  // namespace shoal
