// Bottom-up: tophash arithmetic, Go's size classes, then each map rule on
// pinned hashes, with expected layouts worked out by hand from
// runtime/map.go's rules.
#include <gtest/gtest.h>

#include "test_util.h"
#include "tophash/debug.h"

namespace tophash::testing {
namespace {

using A = debug::BucketMapAccess;

TEST(TopHash, MovesSmallValuesPastTheMarks) {
  EXPECT_EQ(internal::top_hash(0), 5);
  EXPECT_EQ(internal::top_hash(std::uint64_t{4} << 56), 9);
  EXPECT_EQ(internal::top_hash(std::uint64_t{5} << 56), 5);
  EXPECT_EQ(internal::top_hash(std::uint64_t{0xab} << 56 | 0xffff), 0xab);
  EXPECT_TRUE(internal::is_empty(internal::kEmptyRest));
  EXPECT_TRUE(internal::is_empty(internal::kEmptyOne));
  EXPECT_FALSE(internal::is_empty(internal::kEvacuatedEmpty));
}

TEST(SizeClass, PreallocatedOverflowBucketsAsGo) {
  // 144-byte buckets (u64 keys and values, Go's own size).
  ASSERT_EQ(sizeof(internal::Bucket<std::uint64_t, std::uint64_t>), 144u);
  EXPECT_EQ(internal::go_roundupsize(2448), 2688u);
  EXPECT_EQ(internal::go_bucket_array_len(3, 144), 8u);    // below B=4: none
  EXPECT_EQ(internal::go_bucket_array_len(4, 144), 18u);   // 17*144=2448 -> 2688 -> 18
  EXPECT_EQ(internal::go_bucket_array_len(5, 144), 37u);   // 34*144=4896 -> 5376 -> 37
  EXPECT_EQ(internal::go_bucket_array_len(6, 144), 71u);   // 68*144=9792 -> 10240 -> 71
  EXPECT_EQ(internal::go_bucket_array_len(10, 144), 1137u);  // 1088*144 -> 20 pages -> 1137
}

TEST(Hint, PicksSmallestBWithoutOverload) {
  auto pins = std::make_shared<Pins>();
  const std::pair<std::size_t, int> cases[] = {{0, 0}, {8, 0}, {9, 1}, {13, 1}, {14, 2}, {26, 2}, {27, 3}, {100, 4}};
  for (auto [hint, b] : cases) {
    auto m = make_pinned(pins, hint);
    EXPECT_EQ(m.bucket_log2(), b) << "hint " << hint;
    EXPECT_EQ(A::buckets(m) != nullptr, b != 0) << "B = 0 allocates lazily";
  }
}

TEST(Delete, SlotIsReusedAndTrailingRunBecomesEmptyRest) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 4; ++k) pins->pin(k, 0x10 + k - 1, 0);
  auto m = make_pinned(pins);
  m.insert_or_assign(1, 10);
  m.insert_or_assign(2, 20);
  m.insert_or_assign(3, 30);
  EXPECT_EQ(chain(m, 0), "10 11 12 00 00 00 00 00 | 1 2 3 . . . . .");
  m.erase(2);
  EXPECT_EQ(chain(m, 0), "10 01 12 00 00 00 00 00 | 1 . 3 . . . . .");
  m.insert_or_assign(4, 40);  // first empty slot of the chain
  EXPECT_EQ(chain(m, 0), "10 13 12 00 00 00 00 00 | 1 4 3 . . . . .");
  m.erase(3);  // followed by emptyRest: becomes emptyRest
  EXPECT_EQ(chain(m, 0), "10 13 00 00 00 00 00 00 | 1 4 . . . . . .");
  m.erase(1);  // followed by a filled slot: emptyOne
  EXPECT_EQ(chain(m, 0), "01 13 00 00 00 00 00 00 | . 4 . . . . . .");
  const auto seed = A::seed(m);
  m.erase(4);  // the run of emptyOne before it turns emptyRest too
  EXPECT_EQ(chain(m, 0), "00 00 00 00 00 00 00 00 | . . . . . . . .");
  EXPECT_NE(A::seed(m), seed) << "a delete that empties the map reseeds it";
}

TEST(Delete, EmptyRestPropagatesBackAcrossOverflowBuckets) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 11; ++k) pins->pin(k, 0x20 + k, 0);
  auto m = make_pinned(pins, 13);  // B = 1: ten keys in bucket 0 need an overflow bucket
  for (std::uint64_t k = 1; k <= 10; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(A::noverflow(m), 1u);
  EXPECT_EQ(chain(m, 0),
            "21 22 23 24 25 26 27 28 | 1 2 3 4 5 6 7 8 -> 29 2a 00 00 00 00 00 00 | 9 10 . . . . . .");
  m.erase(10);
  m.erase(8);  // last slot, overflow bucket starts filled: emptyOne
  EXPECT_EQ(chain(m, 0),
            "21 22 23 24 25 26 27 01 | 1 2 3 4 5 6 7 . -> 29 00 00 00 00 00 00 00 | 9 . . . . . . .");
  m.erase(9);  // run continues into the previous bucket
  EXPECT_EQ(chain(m, 0),
            "21 22 23 24 25 26 27 00 | 1 2 3 4 5 6 7 . -> 00 00 00 00 00 00 00 00 | . . . . . . . .");
  m.insert_or_assign(11, 11);  // first empty slot: main bucket, slot 7
  EXPECT_EQ(chain(m, 0),
            "21 22 23 24 25 26 27 2b | 1 2 3 4 5 6 7 11 -> 00 00 00 00 00 00 00 00 | . . . . . . . .");
  EXPECT_EQ(*m.get(7), 7u);
  EXPECT_EQ(m.get(9), nullptr);
}

TEST(Grow, NinthKeyDoublesAndSplitsByHashBit) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 8; ++k) pins->pin(k, 0x10 + k, k & 1);  // odd keys go to Y
  pins->pin(9, 0x30, 0);
  auto m = make_pinned(pins);
  for (std::uint64_t k = 1; k <= 8; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(m.bucket_log2(), 0);
  m.insert_or_assign(9, 9);  // over the load factor: grow, evacuate bucket 0, insert
  EXPECT_EQ(dump_layout(m),
            "dump B=1 count=9 noverflow=0 nevacuate=1 growing=0 samesize=0\n"
            "new 0: 12 14 16 18 30 00 00 00 | 2 4 6 8 9 . . .\n"
            "new 1: 11 13 15 17 00 00 00 00 | 1 3 5 7 . . . .\n"
            "end\n");
}

TEST(Grow, EvacuationIsIncrementalAndMissingDeletesHelp) {
  auto pins = quarter_pins();
  auto m = make_pinned(pins, 26);
  for (std::uint64_t k = 1; k <= 26; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(m.bucket_log2(), 2);
  // Key 27 (bucket 2) grows the map: growWork evacuates old bucket 2, then
  // old bucket 0 (the mark), which advances the mark to 1.
  m.insert_or_assign(27, 27);
  EXPECT_EQ(dump_layout(m),
            "dump B=3 count=27 noverflow=0 nevacuate=1 growing=1 samesize=0\n"
            "new 0: 41 49 51 59 00 00 00 00 | 1 9 17 25 . . . .\n"
            "new 1: 00 00 00 00 00 00 00 00 | . . . . . . . .\n"
            "new 2: 43 4b 53 5b 00 00 00 00 | 3 11 19 27 . . . .\n"
            "new 3: 00 00 00 00 00 00 00 00 | . . . . . . . .\n"
            "new 4: 45 4d 55 00 00 00 00 00 | 5 13 21 . . . . .\n"
            "new 5: 00 00 00 00 00 00 00 00 | . . . . . . . .\n"
            "new 6: 47 4f 57 00 00 00 00 00 | 7 15 23 . . . . .\n"
            "new 7: 00 00 00 00 00 00 00 00 | . . . . . . . .\n"
            "old 0: 02 03 02 03 02 03 02 04 | . . . . . . . .\n"
            "old 1: 42 46 4a 4e 52 56 5a 00 | 2 6 10 14 18 22 26 .\n"
            "old 2: 02 03 02 03 02 03 04 04 | . . . . . . . .\n"
            "old 3: 44 48 4c 50 54 58 00 00 | 4 8 12 16 20 24 . .\n"
            "end\n");
  EXPECT_EQ(*m.get(2), 2u) << "found in the old bucket, not yet evacuated";
  // Deleting a missing key still does its share: old 3, then old 1; the mark
  // runs over 2 and 3 (evacuated) to the end, and growth completes.
  EXPECT_EQ(m.erase(99), 0u);
  EXPECT_EQ(dump_layout(m),
            "dump B=3 count=27 noverflow=0 nevacuate=4 growing=0 samesize=0\n"
            "new 0: 41 49 51 59 00 00 00 00 | 1 9 17 25 . . . .\n"
            "new 1: 42 4a 52 5a 00 00 00 00 | 2 10 18 26 . . . .\n"
            "new 2: 43 4b 53 5b 00 00 00 00 | 3 11 19 27 . . . .\n"
            "new 3: 44 4c 54 00 00 00 00 00 | 4 12 20 . . . . .\n"
            "new 4: 45 4d 55 00 00 00 00 00 | 5 13 21 . . . . .\n"
            "new 5: 46 4e 56 00 00 00 00 00 | 6 14 22 . . . . .\n"
            "new 6: 47 4f 57 00 00 00 00 00 | 7 15 23 . . . . .\n"
            "new 7: 48 50 58 00 00 00 00 00 | 8 16 24 . . . . .\n"
            "end\n");
}

TEST(Grow, TooManyOverflowBucketsTriggersSameSizeGrowth) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 20; ++k) pins->pin(k, 0x10 + k, k >= 11 && k <= 19 ? 1 : 0);
  auto m = make_pinned(pins, 13);  // B = 1
  for (std::uint64_t k = 1; k <= 9; ++k) m.insert_or_assign(k, k);  // bucket 0 + 1 overflow
  for (std::uint64_t k = 1; k <= 8; ++k) m.erase(k);                 // churn: emptyOne x8
  EXPECT_EQ(chain(m, 0),
            "01 01 01 01 01 01 01 01 | . . . . . . . . -> 19 00 00 00 00 00 00 00 | 9 . . . . . . .");
  for (std::uint64_t k = 11; k <= 19; ++k) m.insert_or_assign(k, k);  // bucket 1 + 1 overflow
  EXPECT_EQ(A::noverflow(m), 2u);
  EXPECT_EQ(m.size(), 10u);
  // 11 keys are within the load factor of B = 1, but 2 overflow buckets are
  // as many as buckets: same-size growth, which the put completes (two old
  // buckets, two evacuations).
  m.insert_or_assign(20, 20);
  EXPECT_EQ(dump_layout(m),
            "dump B=1 count=11 noverflow=1 nevacuate=2 growing=0 samesize=0\n"
            "new 0: 19 24 00 00 00 00 00 00 | 9 20 . . . . . .\n"
            "new 1: 1b 1c 1d 1e 1f 20 21 22 | 11 12 13 14 15 16 17 18 -> 23 00 00 00 00 00 00 00 | 19 . . . . . . .\n"
            "end\n");
}

TEST(Clear, KeepsBAbandonsGrowthAndReseeds) {
  auto pins = quarter_pins();
  auto m = make_pinned(pins, 26);
  const auto seed0 = A::seed(m);
  m.clear();  // empty: nothing at all
  EXPECT_EQ(A::seed(m), seed0);
  for (std::uint64_t k = 1; k <= 27; ++k) m.insert_or_assign(k, k);
  ASSERT_TRUE(A::growing(m));
  m.clear();
  EXPECT_NE(A::seed(m), seed0);
  EXPECT_EQ(m.size(), 0u);
  std::string expect = "dump B=3 count=0 noverflow=0 nevacuate=0 growing=0 samesize=0\n";
  for (int i = 0; i < 8; ++i) expect += "new " + std::to_string(i) + ": 00 00 00 00 00 00 00 00 | . . . . . . . .\n";
  EXPECT_EQ(dump_layout(m), expect + "end\n");
  EXPECT_EQ(m.get(2), nullptr);
}

TEST(Clear, ReusesPreallocatedOverflowBuckets) {
  auto pins = std::make_shared<Pins>();
  for (std::uint64_t k = 1; k <= 9; ++k) pins->pin(k, 0x30 + k, 5);
  auto m = make_pinned(pins, 100);  // B = 4: 16 buckets + 2 preallocated overflow buckets
  const auto bytes = m.allocated_bytes();
  for (std::uint64_t k = 1; k <= 9; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(m.allocated_bytes(), bytes) << "the overflow bucket came from the preallocated ones";
  m.clear();
  for (std::uint64_t k = 1; k <= 9; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(m.allocated_bytes(), bytes) << "clear makes them available again";
}

}  // namespace
}  // namespace tophash::testing
