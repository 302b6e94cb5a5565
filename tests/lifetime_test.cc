// Object and memory lifetime: every key and value constructed is destroyed
// exactly once, delete releases at once, every allocation goes through the
// Allocator; plus float keys (NaN, +-0) and misuse detection.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "test_util.h"
#include "tophash/debug.h"

namespace tophash::testing {
namespace {

using A = debug::BucketMapAccess;
using CountedMap = BucketMap<Counted, Counted>;

TEST(Lifetime, EveryKeyAndValueIsDestroyedExactlyOnce) {
  Counted::reset();
  {
    CountedMap m(0, 3);
    for (std::uint64_t k = 0; k < 300; ++k) m.insert_or_assign(Counted(k), Counted(k));
    auto it = m.iterate({0, 0});  // open across growth: evacuation copies keys
    for (std::uint64_t k = 300; k < 900; ++k) {
      m.insert_or_assign(Counted(k), Counted(k + 1));
      if (k % 5 == 0) m.erase(Counted(k - 250));
      if (k % 11 == 0) it.next();
    }
    CountedMap copy = m;
    CountedMap moved = std::move(copy);
    EXPECT_EQ(moved.size(), m.size());
    m.erase_if([](const Counted& k, Counted&) { return k.id() % 2 == 0; });
    m.shrink_to_fit();
    auto it2 = m.iterate({1, 1});
    m.clear();
    for (std::uint64_t k = 0; k < 50; ++k) m.insert_or_assign(Counted(k), Counted(k));
    m.reserve(5000);
  }
  EXPECT_EQ(Counted::stats().error, nullptr) << Counted::stats().error;
  EXPECT_EQ(Counted::stats().live, 0) << " objects leaked";
  EXPECT_GT(Counted::stats().constructed, 1800);
}

TEST(Lifetime, DeleteDestroysKeyAndValueAtOnce) {
  Counted::reset();
  CountedMap m(0, 3);
  for (std::uint64_t k = 0; k < 100; ++k) m.insert_or_assign(Counted(k), Counted(k));
  while (A::growing(m)) m.erase(Counted(1000));  // finish growth (missing-key deletes help)
  EXPECT_EQ(Counted::stats().live, static_cast<std::int64_t>(2 * m.size())) << "growth done: leftovers released";
  const auto before = Counted::stats().live;
  Counted probe(7);
  ASSERT_EQ(m.erase(probe), 1u);
  EXPECT_EQ(Counted::stats().live, before + 1 - 2) << "key and value destroyed (probe alive)";
}

TEST(Lifetime, AnIteratorKeepsTheOldArrayAndItsCopiesUntilItEnds) {
  Counted::reset();
  CountedMap m(0, 3);
  for (std::uint64_t k = 0; k < 8; ++k) m.insert_or_assign(Counted(k), Counted(k));
  {
    auto it = m.iterate({0, 0});
    m.insert_or_assign(Counted(8), Counted(8));  // B 0 -> 1, evacuation completes
    ASSERT_FALSE(A::growing(m));
    EXPECT_EQ(Counted::stats().live, 2 * 9 + 2 * 8) << "the iterator's array keeps 8 key/value copies";
  }
  EXPECT_EQ(Counted::stats().live, 2 * 9);
}

// A bucket array is one block with its header; its buckets start 16-byte
// aligned all the same (the lookup's prefetch counts on it), whatever the
// key and value sizes.
template <class K, class V>
void expect_aligned_buckets() {
  BucketMap<K, V> m(0, 1);
  for (std::uint64_t k = 0; k < 3000; ++k) {
    m.insert_or_assign(static_cast<K>(k), V{});
    const auto* arr = A::buckets(m);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(arr->bucket(0)) % 16, 0u) << "B = " << unsigned{A::B(m)};
  }
}
TEST(Allocator, BucketsStartSixteenByteAligned) {
  expect_aligned_buckets<std::uint64_t, std::uint64_t>();
  expect_aligned_buckets<std::uint64_t, std::uint8_t>();
  expect_aligned_buckets<std::uint16_t, std::uint32_t>();
  expect_aligned_buckets<double, std::string>();
}

TEST(Allocator, EveryAllocationGoesThroughIt) {
  auto stats = std::make_shared<AllocStats>();
  using Alloc = CountingAllocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using M = BucketMap<std::uint64_t, std::uint64_t, Hasher<std::uint64_t>, std::equal_to<std::uint64_t>, Alloc>;
  {
    M m(0, 5, {}, {}, Alloc(stats));
    EXPECT_EQ(stats->outstanding, 0) << "B = 0 allocates lazily";
    for (std::uint64_t k = 0; k < 5000; ++k) {
      m.insert_or_assign(k, k);
      if (k % 997 == 0) EXPECT_EQ(stats->outstanding, static_cast<long long>(m.allocated_bytes()));
    }
    const auto full = m.allocated_bytes();
    for (std::uint64_t k = 0; k < 4990; ++k) m.erase(k);
    EXPECT_EQ(m.allocated_bytes(), full) << "delete releases entries, not buckets";
    {
      auto it = m.iterate({0, 0});
      m.shrink_to_fit();
      EXPECT_LT(m.allocated_bytes(), full / 100);
      EXPECT_GT(stats->outstanding, static_cast<long long>(m.allocated_bytes())) << "the iterator holds the old array";
    }
    EXPECT_EQ(stats->outstanding, static_cast<long long>(m.allocated_bytes()));
    m.clear();
    M other(std::move(m));
    EXPECT_EQ(stats->outstanding, static_cast<long long>(other.allocated_bytes()));
  }
  EXPECT_EQ(stats->outstanding, 0);
  EXPECT_GT(stats->allocations, 10);
}

TEST(FloatKeys, NaNIsNeverFoundAndEveryPutAddsOne) {
  BucketMap<double, int> m(0, 9);
  const double nan = std::nan("");
  EXPECT_TRUE(m.insert_or_assign(nan, 1).second);
  EXPECT_TRUE(m.insert_or_assign(nan, 2).second);
  EXPECT_TRUE(m.insert_or_assign(nan, 3).second);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.get(nan), nullptr);
  EXPECT_EQ(m.erase(nan), 0u);
  EXPECT_EQ(m.size(), 3u);
  int nans = 0;
  for (auto [k, v] : m) nans += std::isnan(k);
  EXPECT_EQ(nans, 3);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
}

TEST(FloatKeys, NaNHashesAreRandomSoNaNsSpread) {
  BucketMap<double, int> m(64, 11);  // B = 4
  for (int i = 0; i < 64; ++i) m.insert_or_assign(std::nan(""), i);
  auto l = layout_of(m);
  int used = 0;
  for (auto& c : l.new_chains) used += internal::is_filled(c[0].tophash[0]);
  EXPECT_GE(used, 8) << "64 NaNs over 16 buckets: a constant hash would use one";
}

TEST(FloatKeys, MinusZeroOverPlusZeroUpdatesTheStoredKey) {
  BucketMap<double, int> m(0, 13);
  m.insert_or_assign(0.0, 1);
  EXPECT_FALSE(m.insert_or_assign(-0.0, 2).second);
  EXPECT_EQ(m.size(), 1u);
  auto it = m.begin();
  EXPECT_TRUE(std::signbit(it->first));
  EXPECT_EQ(it->second, 2);
  EXPECT_EQ(*m.get(0.0), 2);
}

// Misuse: Go's hashWriting checks. Key equality runs while a write holds
// the flag, so an equality functor that touches the map makes each
// overlap certain.
struct Reentrant {
  bool operator()(std::uint64_t a, std::uint64_t b) const;
};
using ReMap = BucketMap<std::uint64_t, std::uint64_t, Hasher<std::uint64_t>, Reentrant>;
ReMap* g_map = nullptr;
int g_mode = 0;
ReMap::Iter* g_iter = nullptr;
bool Reentrant::operator()(std::uint64_t a, std::uint64_t b) const {
  if (g_mode == 1) g_map->get(5);
  if (g_mode == 2) g_map->insert_or_assign(6, 6);
  if (g_mode == 3) g_iter->next();
  return a == b;
}

std::uint64_t overlap(int mode) {
  ReMap m(0, 1);
  for (std::uint64_t k = 0; k < 20; ++k) m.insert_or_assign(k, k);
  auto it = m.iterate({0, 0});
  g_map = &m;
  g_iter = &it;
  g_mode = mode;
  m.insert_or_assign(3, 4);  // finds key 3: equality called mid-write
  g_mode = 0;
  return *m.get(3);
}

TEST(MisuseDeathTest, ReadDuringWrite) { EXPECT_DEATH(overlap(1), "fatal error: concurrent map read and map write"); }
TEST(MisuseDeathTest, WriteDuringWrite) { EXPECT_DEATH(overlap(2), "fatal error: concurrent map writes"); }
TEST(MisuseDeathTest, IterationDuringWrite) {
  EXPECT_DEATH(overlap(3), "fatal error: concurrent map iteration and map write");
}
TEST(Misuse, NoFalseAlarmWithoutOverlap) {
  EXPECT_EQ(overlap(0), 4u);
}

}  // namespace
}  // namespace tophash::testing
