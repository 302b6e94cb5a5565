// tophash/debug.h: read access to BucketMap's internals for layout dumps and
// invariant checking, kept out of the map's public API and hot path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tophash/bucket_map.h"

namespace tophash::debug {

struct BucketMapAccess {
  template <class M>
  using Bucket = typename M::BucketT;
  template <class M>
  using Array = typename M::Array;

  template <class M>
  static std::size_t count(const M& m) { return m.count_; }
  template <class M>
  static std::uint8_t B(const M& m) { return m.B_; }
  template <class M>
  static std::size_t noverflow(const M& m) { return m.noverflow_; }
  template <class M>
  static std::size_t nevacuate(const M& m) { return m.nevacuate_; }
  template <class M>
  static bool growing(const M& m) { return m.oldbuckets_ != nullptr; }
  // The lookup's cached first bucket and mask agree with the array and B.
  template <class M>
  static bool lookup_cache_ok(const M& m) {
    return m.bucket0_ == (m.buckets_ != nullptr ? m.buckets_->bucket(0) : nullptr) &&
           m.mask_ == (std::size_t{1} << m.B_) - 1;
  }
  template <class M>
  static bool same_size(const M& m) { return m.same_size_grow(); }
  template <class M>
  static std::uint8_t flags(const M& m) { return m.flags(); }
  template <class M>
  static std::size_t live_iterators(const M& m) { return m.live_iters_; }
  template <class M>
  static std::uint64_t seed(const M& m) { return m.hash0_; }
  // Current array (may be null before the first put when B = 0) and old array.
  template <class M>
  static const Array<M>* buckets(const M& m) { return m.buckets_; }
  template <class M>
  static const Array<M>* oldbuckets(const M& m) { return m.oldbuckets_; }
  template <class M>
  static std::size_t noldbuckets(const M& m) { return m.noldbuckets(); }
  // The hash of a key that is equal to itself, with the map's current seed.
  template <class M, class K>
  static std::uint64_t hash(const M& m, const K& k) { return m.hash_(k, m.hash0_); }
  template <class M, class K>
  static bool is_nan(const M& m, const K& k) { return m.key_is_nan(k); }

  // An iterator's view: the arrays it holds (it.buckets and the array it
  // stands in), so a checker can confirm none is freed, and the B it
  // snapshot.
  template <class It>
  static const auto* iter_snapshot(const It& it) { return it.snapshot_; }
  template <class It>
  static const auto* iter_owner(const It& it) { return it.owner_; }
  template <class It>
  static bool iter_walking(const It& it) { return it.walking_; }
  template <class It>
  static std::uint8_t iter_B(const It& it) { return it.B_; }
};

}  // namespace tophash::debug
