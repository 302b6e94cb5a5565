// Iterator misuse beyond Go's contract, caught by the debug check
// (TOPHASH_DEBUG_ITERATORS, bucket_map.h "Misuse"): an iterator stepped,
// dereferenced or copied after its map object was destroyed, moved from,
// swapped or assigned to aborts with a message naming the misuse; an
// iterator kept past its map's destruction aborts when destroyed. And the
// uses the contract allows raise no alarm. This file is built (with
// tests/lifetime_test.cc and tests/iteration_test.cc, whose uses must all
// pass the check) into its own executable with the check on, in every
// preset: the check changes the map's layout, so no object of a program
// may be built without it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "tophash/bucket_map.h"
#include "tophash/debug.h"

static_assert(TOPHASH_DEBUG_ITERATORS, "this test is built with the debug check on (tests/CMakeLists.txt)");

namespace tophash::testing {
namespace {

using Map = BucketMap<std::uint64_t, std::uint64_t>;

Map filled(std::uint64_t n = 100) {
  Map m(0, /*seed=*/7);
  for (std::uint64_t k = 0; k < n; ++k) m.insert_or_assign(k, k * 2);
  return m;
}

// Each death test does all its work in the child: an iterator kept past
// its map in the parent would abort the parent when destroyed.
class IteratorMisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(IteratorMisuseDeathTest, SteppedAndDereferencedAfterTheMapIsDestroyed) {
  EXPECT_DEATH(
      {
        auto m = std::make_unique<Map>(filled());
        auto it = m->begin();
        m.reset();
        ++it;
      },
      "tophash: iterator used after its BucketMap was destroyed");
  EXPECT_DEATH(
      {
        auto m = std::make_unique<Map>(filled());
        auto it = m->begin();
        m.reset();
        std::fprintf(stderr, "read %llu\n", static_cast<unsigned long long>((*it).second));
      },
      "tophash: iterator used after its BucketMap was destroyed");
}

// A map on the heap, a Go iterator on it, the map destroyed, then `use`
// done to the iterator: the child dies with `message`.
template <class Use>
void expect_death_once_destroyed(Use use, const char* message) {
  EXPECT_DEATH(
      {
        auto m = std::make_unique<Map>(filled());
        auto it = std::make_unique<Map::Iter>(m->iterate({3, 5}));
        m.reset();
        use(it);
      },
      message);
}

TEST_F(IteratorMisuseDeathTest, GoIteratorUsedAfterTheMapIsDestroyed) {
  expect_death_once_destroyed([](auto& it) { it->next(); }, "tophash: iterator used after its BucketMap was destroyed");
  expect_death_once_destroyed([](auto& it) { std::fprintf(stderr, "%llu\n", static_cast<unsigned long long>(it->key())); },
                              "tophash: iterator used after its BucketMap was destroyed");
}

TEST_F(IteratorMisuseDeathTest, CopiedOrDestroyedAfterTheMap) {
  expect_death_once_destroyed([](auto& it) { Map::Iter copy = *it; },
                              "tophash: iterator kept past its BucketMap's destruction");
  expect_death_once_destroyed([](auto& it) { Map::Iter moved = std::move(*it); },
                              "tophash: iterator kept past its BucketMap's destruction");
  expect_death_once_destroyed([](auto& it) { it.reset(); }, "tophash: iterator kept past its BucketMap's destruction");
}

// Two maps, an iterator on one of them (`on_b`), then `end` done to them,
// then the iterator stepped: the child dies with `message`.
void expect_death_after(void (*end)(Map& a, Map& b), bool on_b, const char* message) {
  EXPECT_DEATH(
      {
        Map a = filled();
        Map b = filled(10);
        auto it = on_b ? b.begin() : a.begin();
        end(a, b);
        ++it;
      },
      message);
}

TEST_F(IteratorMisuseDeathTest, SteppedAfterTheMapIsMovedFrom) {
  expect_death_after([](Map& a, Map&) { Map c(std::move(a)); }, false,
                     "tophash: iterator used after its BucketMap was moved from");
}

TEST_F(IteratorMisuseDeathTest, SteppedAfterTheMapIsMoveAssignedFrom) {
  expect_death_after([](Map& a, Map& b) { b = std::move(a); }, false,
                     "tophash: iterator used after its BucketMap was moved from");
}

TEST_F(IteratorMisuseDeathTest, SteppedAfterTheMapIsMoveAssignedTo) {
  expect_death_after([](Map& a, Map& b) { b = std::move(a); }, true,
                     "tophash: iterator used after its BucketMap was assigned to");
}

TEST_F(IteratorMisuseDeathTest, SteppedAfterTheMapIsCopyAssignedTo) {
  expect_death_after([](Map& a, Map& b) { b = a; }, true,
                     "tophash: iterator used after its BucketMap was assigned to");
}

TEST_F(IteratorMisuseDeathTest, SteppedAfterTheMapIsSwapped) {
  expect_death_after([](Map& a, Map& b) { swap(a, b); }, false, "tophash: iterator used after its BucketMap was swapped");
  expect_death_after([](Map& a, Map& b) { a.swap(b); }, true, "tophash: iterator used after its BucketMap was swapped");
}

// A vector that grows moves its maps and destroys the old objects.
TEST_F(IteratorMisuseDeathTest, SteppedAfterItsVectorReallocated) {
  EXPECT_DEATH(
      {
        std::vector<Map> maps;
        maps.push_back(filled());
        auto it = maps[0].begin();
        for (int i = 0; i < 8; ++i) maps.emplace_back();
        ++it;
      },
      "tophash: iterator used after its BucketMap was moved from");
}

// ---- what the contract allows: no alarm -----------------------------------

std::set<std::uint64_t> drain(Map::Iter& it) {
  std::set<std::uint64_t> keys;
  for (; !it.done(); it.next()) keys.insert(it.key());
  return keys;
}

TEST(IteratorMisuseCheck, IteratorsGoOnAcrossWritesClearReserveAndShrink) {
  Map m = filled(200);
  Map::Iter it = m.iterate({0, 0});
  const std::uint64_t first = it.key();  // yielded before the writes
  for (std::uint64_t k = 200; k < 1000; ++k) m.insert_or_assign(k, k);  // grows
  for (std::uint64_t k = 0; k < 150; ++k) m.erase(k);
  m.reserve(5000);
  m.shrink_to_fit();
  const std::set<std::uint64_t> seen = drain(it);
  for (std::uint64_t k = 150; k < 200; ++k) EXPECT_EQ(seen.count(k), 1u) << k;  // present throughout
  for (std::uint64_t k = 0; k < 150; ++k) {
    if (k != first) EXPECT_EQ(seen.count(k), 0u) << k;  // deleted before reached
  }
  Map::Iter after_clear = m.iterate({1, 1});
  m.clear();
  after_clear.next();  // allowed: a write like any other
}

TEST(IteratorMisuseCheck, CopyingTheMapLeavesTheSourcesIteratorsGoing) {
  Map a = filled();
  Map::Iter it = a.iterate({0, 0});
  Map copy = a;
  Map target = filled(5);
  target = a;  // copy assignment reads a
  EXPECT_EQ(drain(it).size(), 100u);
  EXPECT_EQ(copy.size(), 100u);
}

TEST(IteratorMisuseCheck, AnEndedIteratorMayBeDestroyedWhileItsMapObjectLives) {
  Map a = filled();
  {
    Map::Iter moved = a.iterate({0, 0});
    Map::Iter swapped = a.iterate({1, 0});
    Map b(std::move(a));
    Map c = filled(3);
    swap(a, c);
  }  // both destroyed: a is alive (moved from, then swapped)
  EXPECT_EQ(debug::BucketMapAccess::live_iterators(a), 0u);
}

TEST(IteratorMisuseCheck, AMovedFromMapIsUsableAndItsNewIteratorsWalk) {
  Map a = filled();
  Map b(std::move(a));
  for (std::uint64_t k = 0; k < 50; ++k) a.insert_or_assign(k, k);
  Map::Iter it = a.iterate({0, 0});
  EXPECT_EQ(drain(it).size(), 50u);
  Map::Iter in_b = b.iterate({2, 3});
  EXPECT_EQ(drain(in_b).size(), 100u);
}

TEST(IteratorMisuseCheck, AnIteratorAtItsEndMayOutliveItsMap) {
  auto m = std::make_unique<Map>(filled());
  Map::Iter it = m->iterate({0, 0});
  EXPECT_EQ(drain(it).size(), 100u);
  auto found = m->find(7);
  EXPECT_EQ((*found).second, 14u);
  m.reset();
  EXPECT_TRUE(it.done());
  EXPECT_FALSE(it.next());
}

}  // namespace
}  // namespace tophash::testing
