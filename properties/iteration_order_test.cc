// The order of an iteration nobody writes meanwhile, against Go's walk
// (mapiternext) worked out from the layout alone. The lockstep checks
// judge what an iterator yields (Go's contract), not in which order; Go's
// order is fixed by the start bucket, the slot offset and the layout, and
// the recorded Go traces compare it byte for byte, but only for the starts
// those traces happened to draw. Here every start and offset is tried,
// starts lean to the last buckets (so the walk wraps), and maps are caught
// in the middle of a doubling or a same-size growth, where a bucket whose
// old bucket is not evacuated is read there, keeping (when doubling) only
// the keys bound for it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "test_name.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "tophash/layout.h"
#include "watchdog.h"

namespace tophash::properties {
namespace {

using A = debug::BucketMapAccess;

template <class K>
bool evacuated(const BucketImage<K>& b) {
  return b.tophash[0] > internal::kEmptyOne && b.tophash[0] < internal::kMinTopHash;
}

// Go's walk of m from `s`, were nothing written until its end.
template <class M>
std::vector<typename M::key_type> go_walk(const M& m, IterStart s) {
  using K = typename M::key_type;
  std::vector<K> out;
  if (m.size() == 0) return out;  // mapiterinit: nothing to walk
  const Layout<K> l = layout_of(m);
  const std::size_t nb = std::size_t{1} << l.B;
  const std::size_t start = s.start & (nb - 1), offset = s.offset & (internal::kBucketCnt - 1);
  auto walk = [&](const std::vector<BucketImage<K>>& chain, std::optional<std::size_t> bound_for) {
    for (const auto& b : chain) {
      for (std::size_t i = 0; i < internal::kBucketCnt; ++i) {
        const std::size_t slot = (i + offset) & (internal::kBucketCnt - 1);
        if (!internal::is_filled(b.tophash[slot])) continue;
        const K& k = *b.keys[slot];
        if (bound_for) {
          if (k == k) {
            if ((A::hash(m, k) & (nb - 1)) != *bound_for) continue;
          } else if ((*bound_for >> (l.B - 1)) != static_cast<std::size_t>(b.tophash[slot] & 1)) {
            continue;  // a NaN goes where its tophash's low bit sends it
          }
        }
        out.push_back(k);
      }
    }
  };
  for (std::size_t n = 0; n < nb; ++n) {
    const std::size_t bucket = (start + n) & (nb - 1);
    if (l.growing) {
      const auto& old = l.old_chains[bucket & (l.old_chains.size() - 1)];
      if (!evacuated(old.front())) {
        walk(old, l.samesize ? std::nullopt : std::optional<std::size_t>(bucket));
        continue;
      }
    }
    walk(l.new_chains[bucket], std::nullopt);
  }
  return out;
}

template <class K>
std::uint64_t bits(const K& k) {
  if constexpr (std::is_floating_point_v<K>) {
    return std::bit_cast<std::uint64_t>(k);
  } else {
    return k;
  }
}

IterStart gen_start() {
  IterStart s;
  s.start = *rc::gen::weightedOneOf<std::uint64_t>({
      {3, rc::gen::just(~std::uint64_t{0})},      // the last bucket, at any B
      {2, rc::gen::just(~std::uint64_t{0} - 1)},  // the one before
      {1, rc::gen::just(std::uint64_t{0})},
      {4, rc::gen::arbitrary<std::uint64_t>()},
  });
  s.offset = *rc::gen::inRange<std::uint64_t>(0, internal::kBucketCnt);
  return s;
}

// Iterates m from a generated start to its end and compares with Go's walk.
template <class M>
void check_walk(M& m) {
  const IterStart s = gen_start();
  const auto want = go_walk(m, s);
  RC_ASSERT(want.size() == m.size());  // the walk itself: every entry once
  std::vector<std::uint64_t> got, want_bits;
  for (const auto& k : want) want_bits.push_back(bits(k));
  for (auto it = m.iterate(s); !it.done(); it.next()) {
    got.push_back(bits(it.key()));
    RC_ASSERT(got.size() <= m.size());
  }
  RC_ASSERT(got == want_bits);
  RC_TAG(!A::growing(m) ? "not growing" : A::same_size(m) ? "mid same-size growth" : "mid doubling");
}

// Puts fresh keys, deletes some, and (half the time) stops a few writes
// into a growth.
template <class M, class MakeKey>
void build(M& m, MakeKey key) {
  std::uint64_t fresh = 0;
  const auto n = *rc::gen::inRange<std::size_t>(0, 700);
  for (std::size_t i = 0; i < n; ++i) m.insert_or_assign(key(fresh++), i);
  const auto deletes = *rc::gen::inRange<std::size_t>(0, n / 2 + 1);
  for (std::size_t i = 0; i < deletes; ++i) m.erase(key(*rc::gen::inRange<std::uint64_t>(0, fresh + 1)));
  if (*rc::gen::inRange(0, 2) == 0) {
    // Churn until a growth begins (a doubling, or with tombstones a
    // same-size growth), then a few writes into it.
    for (int i = 0; i < 4000 && !A::growing(m); ++i) {
      if (i % 3 == 2 && m.size() > 0) m.erase(key(*rc::gen::inRange<std::uint64_t>(0, fresh)));
      m.insert_or_assign(key(fresh++), i);
    }
    const auto more = *rc::gen::inRange(0, 4);
    for (int i = 0; i < more && A::growing(m); ++i) m.insert_or_assign(key(fresh++), i);
  }
}

// Runs of 16 consecutive keys share one hash: long chains, same-size growth.
struct TinyHash {
  std::uint64_t operator()(std::uint64_t k, std::uint64_t seed) const { return Hasher<std::uint64_t>()(k / 16, seed); }
};

// Guards: a start bucket or slot offset taken wrongly (or applied
// differently in some step), a walk that does not wrap or stops early,
// the doubling filter keeping the wrong keys.
RC_GTEST_PROP(Named, IterationWithoutWritesFollowsGosWalkFromItsStartAndOffset, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  BucketMap<std::uint64_t, std::uint64_t> m(0, seed);
  build(m, [](std::uint64_t k) { return k; });
  check_walk(m);
}

// Guards: the same with long overflow chains and same-size growth.
RC_GTEST_PROP(Named, IterationWithoutWritesFollowsGosWalkWithLongChains, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  BucketMap<std::uint64_t, std::uint64_t, TinyHash> m(0, seed);
  build(m, [](std::uint64_t k) { return k; });
  check_walk(m);
}

// Guards: NaN keys in a walk during doubling, filtered by their tophash's
// low bit.
RC_GTEST_PROP(Named, IterationWithoutWritesFollowsGosWalkWithNaNKeys, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  BucketMap<double, std::uint64_t> m(0, seed);
  // One key in eight is a NaN (a new entry at every put).
  build(m, [](std::uint64_t k) { return k % 8 == 3 ? std::nan("") : static_cast<double>(k); });
  check_walk(m);
}

}  // namespace
}  // namespace tophash::properties
