// Iteration: Go's order (start bucket, slot offset, chain order), and Go's
// contract across writes, growth and clear, on hand-worked layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "test_util.h"
#include "tophash/debug.h"

namespace tophash::testing {
namespace {

using A = debug::BucketMapAccess;

std::vector<std::uint64_t> drain(PinnedMap::Iter& it) {
  std::vector<std::uint64_t> keys;
  for (; !it.done(); it.next()) keys.push_back(it.key());
  return keys;
}
using Keys = std::vector<std::uint64_t>;

TEST(Iterate, StartsAtTheOffsetSlotAndWrapsWithinTheBucket) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 5; ++k) pins->pin(k, 0x10 + k, 0);
  auto m = make_pinned(pins);
  for (std::uint64_t k = 1; k <= 5; ++k) m.insert_or_assign(k, k * 10);
  auto it = m.iterate({0, 2});
  ASSERT_FALSE(it.done());
  EXPECT_EQ(it.value(), 30u);
  EXPECT_EQ(drain(it), (Keys{3, 4, 5, 1, 2}));
  EXPECT_FALSE(it.next()) << "an iterator at its end stays there";
}

TEST(Iterate, StartBucketThenWrapAroundTheArray) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 8; ++k) pins->pin(k, 0x10 + k, k & 1);
  pins->pin(9, 0x30, 0);
  auto m = make_pinned(pins);
  for (std::uint64_t k = 1; k <= 9; ++k) m.insert_or_assign(k, k);
  // new 0: 2 4 6 8 9 / new 1: 1 3 5 7 (Grow.NinthKeyDoublesAndSplitsByHashBit)
  auto a = m.iterate({1, 0});
  EXPECT_EQ(drain(a), (Keys{1, 3, 5, 7, 2, 4, 6, 8, 9}));
  auto b = m.iterate({1, 3});  // start and offset are masked to B and 7 bits
  EXPECT_EQ(drain(b), (Keys{7, 1, 3, 5, 8, 9, 2, 4, 6}));
  auto c = m.iterate({3, 11});  // 3 & 1 = bucket 1, 11 & 7 = offset 3
  EXPECT_EQ(drain(c), (Keys{7, 1, 3, 5, 8, 9, 2, 4, 6}));
}

TEST(Iterate, OnAnEmptyMapEndsForGood) {
  auto pins = std::make_shared<Pins>();
  pins->pin(1, 0x10, 0);
  auto m = make_pinned(pins);
  auto it = m.iterate({0, 0});
  EXPECT_TRUE(it.done());
  m.insert_or_assign(1, 1);
  EXPECT_FALSE(it.next());
}

TEST(Iterate, MidGrowthWalksUnevacuatedOldBucketsFilteringByTarget) {
  auto pins = quarter_pins();
  auto m = make_pinned(pins, 26);
  for (std::uint64_t k = 1; k <= 27; ++k) m.insert_or_assign(k, k);
  ASSERT_TRUE(A::growing(m));  // old 0 and 2 evacuated, 1 and 3 not
  auto it = m.iterate({0, 0});
  EXPECT_EQ(drain(it), (Keys{1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 5, 13, 21, 6, 14, 22, 7, 15,
                             23, 8, 16, 24}));
}

TEST(Iterate, OldBucketEvacuatedUnderTheIteratorIsLookedUpAgain) {
  auto pins = quarter_pins();
  auto m = make_pinned(pins, 26);
  for (std::uint64_t k = 1; k <= 27; ++k) m.insert_or_assign(k, k);
  auto it = m.iterate({1, 0});  // starts in old bucket 1 (checkBucket 1): key 2
  ASSERT_EQ(it.key(), 2u);
  // Deleting 18 evacuates old bucket 1 under the iterator; the rest of
  // that bucket's keys are looked up in the live table, and 18 is gone.
  ASSERT_EQ(m.erase(18), 1u);
  m.insert_or_assign(10, 1000);  // updated after evacuation: the live value is yielded
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  for (it.next(); !it.done(); it.next()) seen.emplace_back(it.key(), it.value());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {{10, 1000}, {26, 26}};
  for (std::uint64_t k : {3, 11, 19, 27, 4, 12, 20, 5, 13, 21, 6, 14, 22, 7, 15, 23, 8, 16, 24, 1, 9, 17, 25}) {
    want.emplace_back(k, k);
  }
  EXPECT_EQ(seen, want);
}

TEST(Iterate, AcrossThreeGrowthsYieldsSurvivorsExactlyOnce) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 30; ++k) pins->pin(k, 0x10 + k, k);
  auto m = make_pinned(pins);
  for (std::uint64_t k = 1; k <= 8; ++k) m.insert_or_assign(k, k);
  auto it = m.iterate({0, 0});
  ASSERT_EQ(it.key(), 1u);
  for (std::uint64_t k = 9; k <= 30; ++k) m.insert_or_assign(k, k);  // B: 0 -> 1 -> 2 -> 3
  ASSERT_EQ(m.bucket_log2(), 3);
  ASSERT_EQ(m.erase(5), 1u);
  it.next();
  // The iterator walks its B = 0 snapshot, now all evacuation marks: each
  // key is looked up in the live map; 5 was deleted before it was reached.
  EXPECT_EQ(drain(it), (Keys{2, 3, 4, 6, 7, 8}));
}

TEST(Iterate, ClearWhileOpenOnOldArrayYieldsClearedKeysAsGo59411) {
  auto pins = quarter_pins();
  auto m = make_pinned(pins, 26);
  for (std::uint64_t k = 1; k <= 26; ++k) m.insert_or_assign(k, k);
  auto it = m.iterate({0, 0});
  ASSERT_EQ(it.key(), 1u);
  m.insert_or_assign(27, 27);  // grow: old 2 and 0 evacuated, 1 and 3 not
  m.clear();                   // abandons the growth
  ASSERT_EQ(m.size(), 0u);
  it.next();
  // golang/go#59411: the iterator still walks its pre-growth array, whose
  // unevacuated buckets 1 and 3 still hold their entries.
  EXPECT_EQ(drain(it), (Keys{2, 6, 10, 14, 18, 22, 26, 4, 8, 12, 16, 20, 24}));
}

TEST(Iterate, RangeForAndDeleteEverythingWhileIterating) {
  BucketMap<std::uint64_t, std::uint64_t> m(0, 42);
  for (std::uint64_t k = 0; k < 1000; ++k) m.insert_or_assign(k, k * 2);
  std::map<std::uint64_t, int> seen;
  for (auto [k, v] : m) {
    EXPECT_EQ(v, k * 2);
    ++seen[k];
    m.erase(k);
    if (k % 3 == 0) m.erase(k + 1);  // deleted before it is reached, or already seen
  }
  EXPECT_EQ(m.size(), 0u);
  for (auto [k, n] : seen) EXPECT_EQ(n, 1) << k;
  for (std::uint64_t k = 0; k < 1000; ++k) {
    if (!seen.count(k)) {
      EXPECT_TRUE(k > 0 && (k - 1) % 3 == 0 && seen.count(k - 1)) << "key " << k << " was not deleted early";
    }
  }
}

TEST(Iterate, NaNsAreYieldedOnceAcrossGrowthWithAnIteratorOpen) {
  BucketMap<double, int> m(0, 7);
  for (int i = 0; i < 20; ++i) m.insert_or_assign(std::nan(""), i);
  for (int i = 0; i < 20; ++i) m.insert_or_assign(static_cast<double>(i), 100 + i);
  auto it = m.iterate({3, 5});
  std::map<int, int> seen;  // value -> times
  ++seen[it.value()];
  // Many growths with the iterator open: NaNs move by their tophash's low bit.
  for (int i = 20; i < 400; ++i) {
    m.insert_or_assign(static_cast<double>(i), 100 + i);
    if (i % 7 == 0 && it.next()) ++seen[it.value()];
  }
  while (it.next()) ++seen[it.value()];
  for (int v = 0; v < 20; ++v) EXPECT_EQ(seen[v], 1) << "NaN with value " << v;
  for (int v = 100; v < 120; ++v) EXPECT_EQ(seen[v], 1) << "key " << v - 100;
  for (auto [v, n] : seen) EXPECT_EQ(n, 1) << "value " << v << " yielded twice";
}

}  // namespace
}  // namespace tophash::testing
