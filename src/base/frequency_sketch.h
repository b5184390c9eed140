// FrequencySketch: approximate, aging counts of how often keys are asked for (TinyLFU).
//
// Two users, one implementation:
//  - The cluster's hot cache (cluster/hot_admission.h) keeps copies of keys that other nodes
//    own. groupcache fills its hot cache on a 1-in-10 coin flip, so a key asked for once can
//    push out one asked for a thousand times. shoal records every remote miss here and copies a
//    key only once its estimated frequency reaches a threshold (RecordAndAdmit).
//  - The main cache's W-TinyLFU admission (cache/cache.h): each shard records its inserts and
//    the hits its eviction folds in, and admits the window's victim into the main area only if
//    its Estimate beats the main area's victim's.
//
// Structure: a count-min sketch of 4 rows of 4-bit counters, 16 to a 64-bit word.
//  - Row r's counter for a key is picked by Mix64(hash + seed_r): the caller passes a
//    well-mixed 64-bit hash of the key, and each row remixes it independently. Keys come from
//    clients, so both users pass KeyedHash(key) (base/keyed_hash.h; the very hash the cache
//    shards by is fine): under an unkeyed hash, keys made to collide would share all 4
//    counters, and each would be admitted on its first request.
//  - Record adds 1 to the key's counter in every row (saturating at 15); Estimate is the
//    smallest of the 4. Other keys can only add to a counter, so before aging an estimate
//    never under-counts (up to 15), and it over-counts only when all 4 counters are shared.
//  - 4 bits, not 8: the threshold that matters is a handful of requests per aging period, so
//    counts above 15 carry no information, and half the bytes keep the table in L1/L2.
//  - Width: each row has the power of two at or above 2 x expected_keys counters, so a sketch
//    for 10,000 keys is 4 x 32,768 counters, 64 KiB. With 10,000 keys recorded once each,
//    measured over 10,000 keys never recorded: 0.44% estimate 1 or more, none 2; and 0.43% of
//    the recorded keys estimate 2, i.e. pass a threshold of 2 on their only request. At half
//    that width (16,384) the figures were 4.3% and 4.2%, at a quarter 25%: memory is cheap
//    next to the hot cache it guards, false admissions are not.
//  - Aging: after sample_size Record calls (default 10 x expected_keys, as TinyLFU suggests),
//    every counter is halved, so the sketch reflects recent demand and a key that was hot
//    yesterday must earn its place again. The count of Records is then set back by
//    sample_size / 2 (the halved counters still hold about half a sample), so the next aging
//    comes sample_size / 2 Records later.
//
// Ownership: owns its counter table (fixed at construction; nothing allocates afterwards).
// Thread-safety: Record, RecordAndAdmit and Estimate may be called from any number of threads
// at once. Counters are relaxed atomics updated with a compare-and-swap on their word, so no
// increment is lost, no thread ever waits for a lock, and Estimate is plain loads. Record
// measured 28 ns on one thread and 43 ns a call on each of 2 threads sharing one sketch
// (bench/ring_bench.cc). A small mutex would be about as cheap uncontended, but it would
// serialise callers and have to be held for the whole table walk of an aging (8,192 words for
// 10,000 keys). Without one, the walk halves word by word while Records continue, and a Record
// racing with it lands before or after its word's halving: either is a valid count. Every
// Record also increments one shared atomic (the count of Records), a cache line that moves
// between cores: acceptable because the cluster calls Record once per remote miss, which costs
// a network round trip, and the cache only under a shard's mutex (insert and eviction, whose
// shard's sketch is its own): never on a hit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace shoal {

struct FrequencySketchOptions {
  // How many distinct keys the sketch must tell apart: the hot cache's capacity in entries is
  // a good value. Sets the width (see above); taken as at least 32.
  size_t expected_keys = 16384;
  // Record calls between agings; 0 means 10 x expected_keys.
  uint64_t sample_size = 0;
};

class FrequencySketch {
 public:
  // kMaxCount is where a counter saturates.
  static constexpr uint32_t kMaxCount = 15;

  explicit FrequencySketch(FrequencySketchOptions options = {});
  FrequencySketch(const FrequencySketch&) = delete;
  FrequencySketch& operator=(const FrequencySketch&) = delete;

  // Record counts one request for the key whose hash is `hash`, and ages the sketch when this
  // is the sample_size-th Record since the last aging (that call walks the whole table).
  void Record(uint64_t hash) { RecordAndEstimate(hash); }

  // RecordAndAdmit records `hash` and returns whether its estimated count, this request
  // included, has reached `threshold`: whether a copy of the key should be kept. A threshold
  // above kMaxCount is taken as kMaxCount; 0 or 1 admits every key.
  bool RecordAndAdmit(uint64_t hash, uint32_t threshold);

  // Estimate returns the estimated count of `hash` since the last agings (halved once per
  // aging), at most kMaxCount.
  uint32_t Estimate(uint64_t hash) const;

  // width is the number of counters per row; bytes the size of the counter table.
  size_t width() const { return size_t{1} << width_bits_; }
  size_t bytes() const { return words_count_ * sizeof(uint64_t); }
  uint64_t sample_size() const { return sample_size_; }
  // agings counts the halvings so far (for tests and metrics).
  uint64_t agings() const { return agings_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kRows = 4;

  // RecordAndEstimate increments the key's counters and returns their minimum afterwards.
  uint32_t RecordAndEstimate(uint64_t hash);
  // CounterIndex is the key's counter in `row`, counted over the whole table.
  size_t CounterIndex(uint64_t hash, size_t row) const;
  void Age();

  unsigned width_bits_;
  uint64_t sample_size_;
  size_t words_count_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::atomic<uint64_t> records_{0};  // Records since the last aging, plus the halved carry
  std::atomic<uint64_t> agings_{0};
};

}  // namespace shoal
