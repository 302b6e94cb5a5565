// Shared test helpers: pinned hashes, a counting key and value type, a
// counting allocator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "counted.h"
#include "tophash/bucket_map.h"
#include "tophash/layout.h"

namespace tophash::testing {

// Hashes pinned per key by the test: hash = (top << 56) | low.
struct Pins {
  std::unordered_map<std::uint64_t, std::uint64_t> table;
  void pin(std::uint64_t key, std::uint8_t top, std::uint64_t low) {
    table[key] = (static_cast<std::uint64_t>(top) << 56) | low;
  }
};
struct PinnedHash {
  std::shared_ptr<Pins> pins;
  std::uint64_t operator()(std::uint64_t key, std::uint64_t) const { return pins->table.at(key); }
};
using PinnedMap = BucketMap<std::uint64_t, std::uint64_t, PinnedHash>;

inline PinnedMap make_pinned(const std::shared_ptr<Pins>& pins, std::size_t hint = 0) {
  return PinnedMap(hint, /*seed=*/1, PinnedHash{pins});
}

// 26 keys for B = 2 (hint 26): key k in bucket (k-1)%4, bound for Y on
// the next doubling when ((k-1)/4) is odd; tophash 0x40+k. Key 27 lands in
// bucket 2 and grows the map; key 99 (bucket 3) is never put.
inline std::shared_ptr<Pins> quarter_pins() {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 26; ++k) pins->pin(k, 0x40 + k, ((k - 1) % 4) | ((((k - 1) / 4) % 2) << 2));
  pins->pin(27, 0x5b, 2);
  pins->pin(99, 0x70, 3);
  return pins;
}

// One chain of the dump, e.g. "10 12 00 00 00 00 00 00 | 1 2 . . . . . ."
// (buckets separated by " -> "), for readable hand-worked expectations.
template <class M>
std::string chain(const M& m, std::size_t i, bool old = false) {
  auto l = layout_of(m);
  std::string d = dump(l);
  std::string tag = std::string(old ? "old " : "new ") + std::to_string(i) + ": ";
  auto p = d.find(tag);
  if (p == std::string::npos) return "<no bucket>";
  auto e = d.find('\n', p);
  return d.substr(p + tag.size(), e - p - tag.size());
}

// Counts live objects and catches double destruction and use of dead ones:
// the harness's instrumented type (reference/counted.h), with a tag of its
// own (one counter for keys and values).
using Counted = reference::CountedTestObject;

// An allocator that tallies outstanding bytes in a shared counter.
struct AllocStats {
  long long outstanding = 0;
  long long allocations = 0;
};
template <class T>
struct CountingAllocator {
  using value_type = T;
  std::shared_ptr<AllocStats> stats;
  explicit CountingAllocator(std::shared_ptr<AllocStats> s) : stats(std::move(s)) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U>& o) : stats(o.stats) {}
  T* allocate(std::size_t n) {
    stats->outstanding += static_cast<long long>(n * sizeof(T));
    ++stats->allocations;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    stats->outstanding -= static_cast<long long>(n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const CountingAllocator<U>& o) const { return stats == o.stats; }
};

}  // namespace tophash::testing
