// Reading and writing the fields of cluster messages (messages.cc, members_message.cc):
// big-endian integers and length-prefixed strings. Reader never trusts a length: a read past
// the end marks the message bad and yields zeros, so a decoder checks Done() once at the end.
// Internal to the cluster layer. Thread-safety: a Reader is used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/big_endian.h"

namespace shoal::cluster::wire {

inline void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

inline void PutI64(std::string& out, int64_t v) {
  AppendBigEndian64(out, static_cast<uint64_t>(v));
}

inline void PutU64(std::string& out, uint64_t v) { AppendBigEndian64(out, v); }

inline void PutU32(std::string& out, uint32_t v) { AppendBigEndian32(out, v); }

inline void PutString(std::string& out, std::string_view s) {
  AppendBigEndian32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reader consumes a payload front to back; any read past the end sets `bad` and yields zeros,
// so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint8_t U8() {
    if (!Need(1)) return 0;
    const auto v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return v;
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    const uint32_t v = LoadBigEndian32(data_.data());
    data_.remove_prefix(4);
    return v;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    const uint64_t v = LoadBigEndian64(data_.data());
    data_.remove_prefix(8);
    return v;
  }
  int64_t I64() {
    if (!Need(8)) return 0;
    const uint64_t v = LoadBigEndian64(data_.data());
    data_.remove_prefix(8);
    return static_cast<int64_t>(v);
  }
  std::string_view String(size_t max) {
    const uint32_t n = U32();
    if (n > max || !Need(n)) {
      bad_ = true;
      return {};
    }
    std::string_view s = data_.substr(0, n);
    data_.remove_prefix(n);
    return s;
  }
  // ok: nothing read so far was missing or too long.
  bool ok() const { return !bad_; }
  void Fail() { bad_ = true; }
  // Done reports whether everything read was there and nothing is left over.
  bool Done() const { return !bad_ && data_.empty(); }

 private:
  bool Need(size_t n) {
    if (bad_ || data_.size() < n) {
      bad_ = true;
      return false;
    }
    return true;
  }
  std::string_view data_;
  bool bad_ = false;
};

}  // namespace shoal::cluster::wire
