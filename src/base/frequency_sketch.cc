#include "base/frequency_sketch.h"

#include <algorithm>
#include <bit>

#include "base/hash.h"

namespace shoal {
namespace {

constexpr size_t kCountersPerWord = 16;  // 4 bits each
constexpr uint64_t kCounterMask = 0xf;
// Halving every counter of a word at once: shift the word right by one and clear the bit
// that each counter received from its upper neighbour.
constexpr uint64_t kHalfMask = 0x7777777777777777ULL;

// One seed per row, so the rows pick their counters independently. Any distinct constants
// would do; these are the first 64 bits of the fractional parts of sqrt(2), sqrt(3), sqrt(5)
// and sqrt(7).
constexpr uint64_t kRowSeeds[] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
                                  0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL};

}  // namespace

namespace {

size_t ExpectedKeys(const FrequencySketchOptions& o) {
  return std::max<size_t>(o.expected_keys, 32);
}

}  // namespace

FrequencySketch::FrequencySketch(FrequencySketchOptions options)
    // width >= 2 x the expected keys
    : width_bits_(static_cast<unsigned>(std::bit_width(2 * ExpectedKeys(options) - 1))),
      sample_size_(options.sample_size != 0 ? options.sample_size
                                            : 10 * uint64_t{ExpectedKeys(options)}),
      words_count_(kRows * (size_t{1} << width_bits_) / kCountersPerWord),
      words_(std::make_unique<std::atomic<uint64_t>[]>(words_count_)) {
  for (size_t i = 0; i < words_count_; ++i) words_[i].store(0, std::memory_order_relaxed);
}

size_t FrequencySketch::CounterIndex(uint64_t hash, size_t row) const {
  const uint64_t column = Mix64(hash + kRowSeeds[row]) >> (64 - width_bits_);
  return (row << width_bits_) + static_cast<size_t>(column);
}

uint32_t FrequencySketch::RecordAndEstimate(uint64_t hash) {
  uint64_t smallest = kMaxCount;
  for (size_t row = 0; row < kRows; ++row) {
    const size_t index = CounterIndex(hash, row);
    std::atomic<uint64_t>& word = words_[index / kCountersPerWord];
    const unsigned shift = static_cast<unsigned>(index % kCountersPerWord) * 4;
    uint64_t old = word.load(std::memory_order_relaxed);
    uint64_t count;
    // Adding 1 to a counter below 15 never carries into its neighbour.
    do {
      count = (old >> shift) & kCounterMask;
      if (count == kMaxCount) break;
    } while (
        !word.compare_exchange_weak(old, old + (uint64_t{1} << shift), std::memory_order_relaxed));
    smallest = std::min(smallest, count == kMaxCount ? count : count + 1);
  }
  // The Record that moves the count from sample_size_ or above to below it (by taking half
  // away) is the one that ages; a compare-and-swap decides which, so two Records never both
  // age for one period, and a burst of Records during the walk only counts towards the next.
  uint64_t records = records_.fetch_add(1, std::memory_order_relaxed) + 1;
  while (records >= sample_size_) {
    if (records_.compare_exchange_weak(records, records - (sample_size_ + 1) / 2,
                                       std::memory_order_relaxed)) {
      Age();
      break;
    }
  }
  return static_cast<uint32_t>(smallest);
}

bool FrequencySketch::RecordAndAdmit(uint64_t hash, uint32_t threshold) {
  return RecordAndEstimate(hash) >= std::min(threshold, kMaxCount);
}

uint32_t FrequencySketch::Estimate(uint64_t hash) const {
  uint64_t smallest = kMaxCount;
  for (size_t row = 0; row < kRows; ++row) {
    const size_t index = CounterIndex(hash, row);
    const uint64_t word = words_[index / kCountersPerWord].load(std::memory_order_relaxed);
    smallest = std::min(smallest, (word >> ((index % kCountersPerWord) * 4)) & kCounterMask);
  }
  return static_cast<uint32_t>(smallest);
}

void FrequencySketch::Age() {
  for (size_t i = 0; i < words_count_; ++i) {
    uint64_t old = words_[i].load(std::memory_order_relaxed);
    while (
        !words_[i].compare_exchange_weak(old, (old >> 1) & kHalfMask, std::memory_order_relaxed)) {
    }
  }
  agings_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace shoal
