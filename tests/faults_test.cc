// The exception guarantees of bucket_map.h ("Exception safety"), one test
// per row of its table, on the fault-injecting types of reference/faults.h;
// and what a std::pmr resource gives back. The `faults` fuzz target and the
// Faults property run the same checks on random programs.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory_resource>
#include <type_traits>

#include "faults.h"
#include "invariants.h"

namespace tophash {
namespace {

using namespace reference::faults;
using Entries = std::map<std::uint64_t, std::uint64_t>;

struct Fixture : ::testing::Test {
  FailingResource res;
  std::pmr::memory_resource* prev = std::pmr::set_default_resource(&res);
  FaultMap m{0, 1, FaultHash{HashShape::kFew}, FaultEq(), FaultAlloc(&res)};
  ~Fixture() override {
    Plan::get().disarm();
    std::pmr::set_default_resource(prev);
  }
  void fill(std::uint64_t n) {
    for (std::uint64_t k = 0; k < n; ++k) m.insert_or_assign(FaultKey(k), FaultValue(k + 1));
  }
  Entries entries() {
    Plan::get().disarm();
    reference::InvariantChecker<FaultMap>(m).check_all();
    Entries e;
    for (auto it = m.iterate(); !it.done(); it.next()) e[it.key().id()] = it.value().id();
    EXPECT_EQ(e.size(), m.size());
    return e;
  }
  // Runs f with the nth call at `site` failing, for n = 1, 2, ... until f
  // succeeds; expect(threw) after each try.
  template <class F, class Expect>
  void every_fault(Site site, F f, Expect expect) {
    for (std::uint32_t n = 1; n < 400; ++n) {
      Plan::get().arm(site, n);
      bool threw = false;
      try {
        f();
      } catch (const std::bad_alloc&) {
        threw = true;
      } catch (const InjectedFault&) {
        threw = true;
      }
      Plan::get().disarm();
      expect(threw);
      if (!threw) return;
    }
    FAIL() << "never succeeded";
  }
};

TEST_F(Fixture, InsertOfANewKeyIsAllOrNothing) {
  for (Site site : {Site::kAlloc, Site::kKeyCopy, Site::kValueCopy, Site::kHash, Site::kEq}) {
    fill(52);  // the next keys start a growth and need overflow buckets
    auto it = m.iterate();  // an open iterator makes evacuation copy keys
    for (std::uint64_t k = 100; k < 140; ++k) {
      const Entries before = entries();
      const FaultKey key(k);
      const FaultValue value(7);
      every_fault(site, [&] { m.insert_or_assign(key, value); }, [&](bool threw) {
        Entries want = before;
        if (!threw) want[k] = 7;
        ASSERT_EQ(entries(), want) << site_name(site) << " key " << k;
      });
    }
    m.clear();
  }
}

TEST_F(Fixture, AssignOverAnExistingKeyKeepsTheOldValueWhenVsAssignmentDoes) {
  fill(20);
  const Entries before = entries();
  const FaultValue value(99);
  Plan::get().arm(Site::kValueCopy, 1);
  EXPECT_THROW(m.insert_or_assign(FaultKey(3), value), InjectedFault);
  EXPECT_EQ(entries(), before);
}

TEST_F(Fixture, EraseIsNoexceptExactlyWhenHashAndEqualityAre) {
  static_assert(!noexcept(m.erase(std::declval<const FaultKey&>())));
  static_assert(noexcept(std::declval<BucketMap<std::uint64_t, int>&>().erase(1)));
  fill(60);
  const Entries before = entries();
  for (Site site : {Site::kHash, Site::kEq}) {
    Plan::get().arm(site, 1);
    EXPECT_THROW(m.erase(FaultKey(5)), InjectedFault);
    EXPECT_EQ(entries(), before);
  }
}

TEST_F(Fixture, EraseIfKeepsWhatThePredicateDidNotChoose) {
  fill(80);
  const Entries before = entries();
  Plan::get().arm(Site::kPred, 30);
  EXPECT_THROW(m.erase_if([](const FaultKey& k, FaultValue&) {
    Plan::get().hit(Site::kPred);
    return k.id() % 2 == 0;
  }), InjectedFault);
  const Entries after = entries();
  EXPECT_LT(after.size(), before.size());
  for (const auto& [k, v] : before) {
    if (k % 2 != 0) EXPECT_EQ(after.at(k), v);
  }
}

TEST_F(Fixture, ClearSwapAndMovesAreNoexcept) {
  static_assert(noexcept(m.clear()) && noexcept(m.swap(m)));
  static_assert(std::is_nothrow_move_constructible_v<FaultMap>);
  fill(30);
  const Entries before = entries();
  FaultMap t(std::move(m));
  m.swap(t);
  EXPECT_EQ(entries(), before);
}

TEST_F(Fixture, ReserveAndShrinkToFitAreAllOrNothing) {
  for (Site site : {Site::kAlloc, Site::kKeyCopy, Site::kHash}) {
    fill(100);
    for (std::uint64_t k = 0; k < 90; ++k) m.erase(FaultKey(k));
    auto it = m.iterate();
    const Entries before = entries();
    every_fault(site, [&] { m.reserve(500); }, [&](bool) { ASSERT_EQ(entries(), before) << site_name(site); });
    every_fault(site, [&] { m.shrink_to_fit(); }, [&](bool) { ASSERT_EQ(entries(), before) << site_name(site); });
    m.clear();
  }
}

TEST_F(Fixture, AFailedCopyLeaksNothingAndAFailedAssignmentChangesNothing) {
  fill(70);
  const std::size_t blocks = res.live_blocks();
  every_fault(Site::kAlloc, [&] { FaultMap c(m); }, [&](bool) { EXPECT_EQ(res.live_blocks(), blocks); });
  FaultMap d(0, 2, FaultHash{HashShape::kFew}, FaultEq(), FaultAlloc(&res));
  d.insert_or_assign(FaultKey(1000), FaultValue(1));
  every_fault(Site::kKeyCopy, [&] { d = m; }, [&](bool threw) {
    if (threw) EXPECT_TRUE(d.size() == 1 && d.contains(FaultKey(1000)));
  });
  EXPECT_EQ(d.size(), m.size());
}

TEST_F(Fixture, LookupsThrowWhatHashAndEqualityThrowAndChangeNothing) {
  fill(40);
  const Entries before = entries();
  Plan::get().arm(Site::kHash, 1);
  EXPECT_THROW(m.get(FaultKey(3)), InjectedFault);
  Plan::get().arm(Site::kEq, 1);
  EXPECT_THROW(m.contains(FaultKey(3)), InjectedFault);
  EXPECT_EQ(entries(), before);
  static_assert(noexcept(std::declval<BucketMap<std::uint64_t, int>&>().get(1)));
}

TEST_F(Fixture, IterationIsNoexcept) {
  static_assert(noexcept(m.iterate()) && noexcept(std::declval<FaultMap::Iter&>().next()));
  static_assert(noexcept(++std::declval<FaultMap::iterator&>()));
}

// What a delete gives back to the resource (nothing, as in Go, until a
// rebuild), and what shrink_to_fit and clear return.
TEST(PmrResource, DeleteReturnsNothingShrinkToFitDoes) {
  FailingResource res;
  FaultMap m(0, 1, FaultHash{}, FaultEq(), FaultAlloc(&res));
  for (std::uint64_t k = 0; k < 1000; ++k) m.insert_or_assign(FaultKey(k), FaultValue(k));
  const std::size_t full = res.live_bytes();
  for (std::uint64_t k = 0; k < 990; ++k) m.erase(FaultKey(k));
  EXPECT_EQ(res.live_bytes(), full) << "a delete frees no bucket memory";
  m.clear();
  EXPECT_LE(res.live_bytes(), full) << "clear keeps the array (Go's mapclear)";
  EXPECT_GT(res.live_bytes(), 0u);
  m.shrink_to_fit();
  EXPECT_EQ(res.live_bytes(), 0u) << "shrink_to_fit of an empty map frees everything";
}

TEST(PmrResource, WorksOverAMonotonicPool) {
  std::pmr::monotonic_buffer_resource pool;
  using Map = BucketMap<std::uint64_t, std::uint64_t, Hasher<std::uint64_t>, std::equal_to<std::uint64_t>,
                        std::pmr::polymorphic_allocator<std::pair<const std::uint64_t, std::uint64_t>>>;
  Map m(0, 1, {}, {}, Map::allocator_type(&pool));
  for (std::uint64_t k = 0; k < 5000; ++k) m.insert_or_assign(k, k * 2);
  for (std::uint64_t k = 0; k < 5000; k += 2) m.erase(k);
  m.shrink_to_fit();
  for (std::uint64_t k = 1; k < 5000; k += 2) ASSERT_EQ(*m.get(k), k * 2);
  EXPECT_EQ(m.get_allocator().resource(), &pool);
}

// The seeded default hash: a per-map seed, and a new one whenever the map
// becomes empty, by a delete or by clear (Go's issue 25237).
TEST(Seed, EachMapHasItsOwnAndEmptyingReseeds) {
  using Map = BucketMap<std::uint64_t, int>;
  using A = debug::BucketMapAccess;
  Map a, b;
  EXPECT_NE(A::seed(a), A::seed(b));
  a.insert_or_assign(1, 1);
  const std::uint64_t s0 = A::seed(a);
  a.insert_or_assign(2, 2);
  a.erase(1);
  EXPECT_EQ(A::seed(a), s0) << "a delete that leaves entries keeps the seed";
  a.erase(2);
  const std::uint64_t s1 = A::seed(a);
  EXPECT_NE(s1, s0) << "a delete that empties the map reseeds";
  a.insert_or_assign(3, 3);
  a.clear();
  EXPECT_NE(A::seed(a), s1) << "clear reseeds";
}

}  // namespace
}  // namespace tophash
