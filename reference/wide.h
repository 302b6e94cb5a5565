// reference/wide.h: what `values wide` (trace/trace-format.md) means in
// C++: BucketMap<uint64_t, WideValue>, a value of 136 bytes. Go stores a
// value over 128 bytes (maxElemSize) indirectly, so its buckets hold
// pointers and an evacuation unlinks the old bucket's overflow chain, as
// for string keys (kBucketHoldsPointers in impl/include/tophash/bucket_map.h);
// the Go recorder's map[uint64]wideValue (tools/go-recorder/values.go)
// holds the same contents.
//
// The executor's per-type core (executor_run.h) is instantiated per
// trace::KeyType; a wide-value program has keys u64, so its instantiation
// is named by kWideValues, a value of that enum that is no key type of
// the trace language (executor.cc picks it when Config::wide_values is
// set; run_wide.cc instantiates it).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "executor.h"  // kWideValues
#include "keys.h"
#include "trace.h"

namespace tophash::reference {

// A value of `values wide`: its number, 17 times (136 bytes). Trivially
// copyable, as Go's [136]byte is: only its size makes the bucket hold
// pointers.
struct WideValue {
  static constexpr std::size_t kWords = 17;
  std::array<std::uint64_t, kWords> words{};

  WideValue() = default;
  explicit WideValue(std::uint64_t n) { words.fill(n); }
  std::uint64_t number() const { return words[0]; }
  // A wide value stands for its number wherever the executor reads a
  // value as one (printing it, erase_if's predicate).
  operator std::uint64_t() const { return number(); }  // NOLINT(google-explicit-constructor)
  // false when the copies disagree (a value torn or written over).
  bool whole() const {
    for (std::uint64_t w : words) {
      if (w != words[0]) return false;
    }
    return true;
  }
};
static_assert(sizeof(WideValue) > 128 && std::is_trivially_copyable_v<WideValue>);


template <>
struct KeyOps<kWideValues> : IdKeyOps {
  using K = std::uint64_t;
  using V = WideValue;
  static K key(const trace::Program&, std::uint64_t r) { return r; }
  static V value(const trace::Program&, std::uint64_t r) { return V(r); }
  static bool key_repr(const Interner&, const K& k, std::uint64_t& r) { return r = k, true; }
  static std::uint64_t value_repr(const trace::Program&, const Interner&, const V& v, bool& ok) {
    ok = v.whole();
    return v.number();
  }
  static bool is_nan(const K&) { return false; }
};

}  // namespace tophash::reference
