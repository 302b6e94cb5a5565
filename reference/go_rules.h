// reference/go_rules.h: Go 1.19's growth rules (runtime/map.go) as the
// harness states them, from the constants impl names once
// (tophash/internal/bucket.h). They are stated here again on purpose: the
// executor judges the map's own over_load_factor and
// too_many_overflow_buckets, so it must not call them (a planted bug in
// the map's function would move the oracle with it).
#pragma once

#include <cstddef>

#include "tophash/internal/bucket.h"

namespace tophash::reference::go {

using internal::kBucketCnt;
using internal::kLoadFactorDen;
using internal::kLoadFactorNum;
using internal::kMaxEvacuationScan;
using internal::kMaxOverflowLog2;

// The most entries 2^B buckets hold before a put of a new key doubles them:
// a bucket's worth at B = 0, 6.5 per bucket after.
constexpr std::size_t load_capacity(unsigned B) {
  const std::size_t per_load = kLoadFactorNum * ((std::size_t{1} << B) / kLoadFactorDen);
  return per_load > kBucketCnt ? per_load : kBucketCnt;
}
// overLoadFactor.
constexpr bool over_load_factor(std::size_t count, unsigned B) { return count > load_capacity(B); }
// tooManyOverflowBuckets: as many overflow buckets as buckets, B capped.
constexpr bool too_many_overflow_buckets(std::size_t noverflow, unsigned B) {
  return noverflow >= (std::size_t{1} << (B < kMaxOverflowLog2 ? B : kMaxOverflowLog2));
}
// makemap's B for a hint: the smallest that holds it without growing.
constexpr unsigned log2_for(std::size_t n) {
  unsigned B = 0;
  while (over_load_factor(n, B)) ++B;
  return B;
}

static_assert(load_capacity(0) == 8 && load_capacity(1) == 13 && load_capacity(3) == 52,
              "Go 1.19 doubles at 9 entries for B=0, 14 for B=1, 53 for B=3");

}  // namespace tophash::reference::go
