// The exception guarantees of bucket_map.h ("Exception safety"), one test
// per row of its table, on the fault-injecting types of reference/faults.h;
// and what a std::pmr resource gives back. The `faults` fuzz target and the
// Faults property run the same checks on random programs.
#include <gtest/gtest.h>

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
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

struct Guarantee : ::testing::Test {
  FailingResource res;
  std::pmr::memory_resource* prev = std::pmr::set_default_resource(&res);
  FaultMap m{0, 1, FaultHash{HashShape::kFew}, FaultEq(), FaultAlloc(&res)};
  ~Guarantee() override {
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

TEST_F(Guarantee, InsertOfANewKeyIsAllOrNothing) {
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

TEST_F(Guarantee, AssignOverAnExistingKeyKeepsTheOldValueWhenVsAssignmentDoes) {
  fill(20);
  const Entries before = entries();
  const FaultValue value(99);
  Plan::get().arm(Site::kValueCopy, 1);
  EXPECT_THROW(m.insert_or_assign(FaultKey(3), value), InjectedFault);
  EXPECT_EQ(entries(), before);
}

TEST_F(Guarantee, EraseIsNoexceptExactlyWhenHashAndEqualityAre) {
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

TEST_F(Guarantee, EraseIfKeepsWhatThePredicateDidNotChoose) {
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

TEST_F(Guarantee, ClearSwapAndMovesAreNoexcept) {
  static_assert(noexcept(m.clear()) && noexcept(m.swap(m)));
  static_assert(std::is_nothrow_move_constructible_v<FaultMap>);
  fill(30);
  const Entries before = entries();
  FaultMap t(std::move(m));
  m.swap(t);
  EXPECT_EQ(entries(), before);
}

TEST_F(Guarantee, ReserveAndShrinkToFitAreAllOrNothing) {
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

TEST_F(Guarantee, AFailedCopyLeaksNothingAndAFailedAssignmentChangesNothing) {
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

TEST_F(Guarantee, LookupsThrowWhatHashAndEqualityThrowAndChangeNothing) {
  fill(40);
  const Entries before = entries();
  Plan::get().arm(Site::kHash, 1);
  EXPECT_THROW(m.get(FaultKey(3)), InjectedFault);
  Plan::get().arm(Site::kEq, 1);
  EXPECT_THROW(m.contains(FaultKey(3)), InjectedFault);
  EXPECT_EQ(entries(), before);
  static_assert(noexcept(std::declval<BucketMap<std::uint64_t, int>&>().get(1)));
}

TEST_F(Guarantee, IterationIsNoexcept) {
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

// ---- Hash flooding -----------------------------------------------------
// An attacker's hash (HashShape::kFlood: every key in bucket 0 of every
// table, one tophash) makes the map degrade as Go's does: every key of the
// chain is compared on every lookup, and nothing worse. Go's growth is
// driven by the count alone (over_load_factor) and by the overflow count
// (same-size growth); neither multiplies under a flood, and no walk
// recurses.
namespace flood {

using A = debug::BucketMapAccess;

FaultMap make(FailingResource& res, HashShape shape) {
  return FaultMap(0, 1, FaultHash{shape}, FaultEq(), FaultAlloc(&res));
}

// The bytes of one bucket and its array's header (a map of B = 0 holding
// one entry): an upper bound on one bucket's bytes.
std::size_t unit_bytes() {
  FailingResource res;
  FaultMap m = make(res, HashShape::kSeeded);
  m.insert_or_assign(FaultKey(0), FaultValue(0));
  return m.allocated_bytes();
}

TEST(HashFlooding, GrowsNoMoreThanAnEvenlyHashedMapPlusOneChain) {
  FailingResource r1, r2;
  FaultMap flooded = make(r1, HashShape::kFlood), even = make(r2, HashShape::kSeeded);
  const std::size_t unit = unit_bytes();
  std::size_t even_peak = 0;
  for (std::uint64_t k = 0; k < 3000; ++k) {
    flooded.insert_or_assign(FaultKey(k), FaultValue(k));
    even.insert_or_assign(FaultKey(k), FaultValue(k));
    even_peak = std::max(even_peak, even.allocated_bytes());
    // Doublings follow the count: no more of them than an even map makes.
    ASSERT_LE(A::B(flooded), A::B(even)) << "after " << k + 1 << " keys";
    // The tables an even map of these entries holds (an old one while
    // growing at most doubles that), plus the one chain of k/8 overflow
    // buckets the flood needs in each of the current and old arrays.
    ASSERT_LE(flooded.allocated_bytes(), 2 * even_peak + 2 * unit * (k / 8 + 2)) << "after " << k + 1 << " keys";
  }
  for (std::uint64_t k = 0; k < 3000; ++k) ASSERT_EQ(flooded.get(FaultKey(k))->id(), k);
  reference::InvariantChecker<FaultMap>(flooded).check_all();
}

TEST(HashFlooding, AGrowthEndsWithinOneWritePerOldBucket) {
  FailingResource res;
  FaultMap m = make(res, HashShape::kFlood);
  std::uint64_t k = 0;
  for (int growths = 0; growths < 6; ++k) {
    m.insert_or_assign(FaultKey(k), FaultValue(k));
    if (!A::growing(m)) continue;
    ++growths;
    // growWork evacuates at least the next old bucket on every write.
    const std::size_t writes = A::noldbuckets(m);
    for (std::size_t w = 0; w < writes && A::growing(m); ++w) m.insert_or_assign(FaultKey(0), FaultValue(0));
    ASSERT_FALSE(A::growing(m)) << "a growth from " << writes << " old buckets outlived as many writes";
  }
}

// Steady churn (one delete, one put) at a constant count: same-size growth
// keeps the overflow buckets bounded, flooded or not.
TEST(HashFlooding, SameSizeGrowthKeepsOverflowBoundedUnderChurn) {
  for (HashShape shape : {HashShape::kFlood, HashShape::kFew, HashShape::kSeeded}) {
    FailingResource res;
    FaultMap m = make(res, shape);
    constexpr std::uint64_t kLive = 200;
    for (std::uint64_t k = 0; k < kLive; ++k) m.insert_or_assign(FaultKey(k), FaultValue(k));
    const unsigned B = A::B(m);
    std::size_t peak_early = 0;
    for (std::uint64_t k = kLive; k < 40 * kLive; ++k) {
      m.erase(FaultKey(k - kLive));
      m.insert_or_assign(FaultKey(k), FaultValue(k));
      // A growth starts once noverflow reaches 2^B (tooManyOverflowBuckets);
      // until it does, a put adds at most one; the chains need kLive/8.
      ASSERT_LE(A::noverflow(m), (std::size_t{1} << A::B(m)) + kLive / 8 + 1) << unsigned(shape) << " step " << k;
      ASSERT_LE(A::B(m), B + 1u) << "churn at a constant count doubled the table";
      if (k < 4 * kLive) peak_early = std::max(peak_early, m.allocated_bytes());
      if (k >= 4 * kLive) ASSERT_LE(m.allocated_bytes(), 2 * peak_early) << "memory grows with churn";
    }
  }
}

// Walks never recurse: a flooded map of 8000 keys (a chain of 1000
// buckets) is built, searched, iterated, copied, rebuilt and emptied on a
// thread with a 128 KiB stack.
TEST(HashFlooding, LongChainsUseNoStack) {
  struct Work {
    static void* run(void*) {
      FailingResource res;
      FaultMap m = make(res, HashShape::kFlood);
      for (std::uint64_t k = 0; k < 8000; ++k) m.insert_or_assign(FaultKey(k), FaultValue(k));
      std::size_t found = 0;
      for (std::uint64_t k = 0; k < 8000; k += 7) found += m.contains(FaultKey(k)) ? 1 : 0;
      std::size_t seen = 0;
      for (auto it = m.iterate(); !it.done(); it.next()) ++seen;
      FaultMap c(m);
      c.shrink_to_fit();
      for (std::uint64_t k = 0; k < 8000; k += 2) m.erase(FaultKey(k));
      m.clear();
      return reinterpret_cast<void*>(found == 1143 && seen == 8000 && c.size() == 8000 ? 1 : 0);
    }
  };
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, &Work::run, nullptr), 0);
  void* ok = nullptr;
  ASSERT_EQ(pthread_join(t, &ok), 0);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(ok, reinterpret_cast<void*>(1));
}

}  // namespace flood

}  // namespace
}  // namespace tophash

namespace tophash {
namespace {

// bucket.h's allocate_block: a bucket array of 2 MiB or more under the
// default allocator starts on a huge-page boundary and its mapping carries
// the kernel's huge-page advice ("hg" in /proc/self/smaps' VmFlags); a
// small one and any other allocator's are plain allocations.
bool has_hugepage_advice(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line.find(" hg") != std::string::npos;
    }
  }
  return false;
}

TEST(Allocation, LargeDefaultArraysAskForHugePages) {
  using M = BucketMap<std::uint64_t, std::uint64_t>;
  M big;
  big.reserve(std::size_t{1} << 17);  // 2^15 buckets of 144 bytes
  const void* array = debug::BucketMapAccess::buckets(big);
  ASSERT_GE(big.allocated_bytes(), std::size_t{2} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array) % (std::size_t{2} << 20), 0u);
#if defined(__linux__)
  EXPECT_TRUE(has_hugepage_advice(array)) << "no MADV_HUGEPAGE on the array's mapping";
#endif
  for (std::uint64_t k = 0; k < 1000; ++k) big.insert_or_assign(k, k);
  for (std::uint64_t k = 0; k < 1000; ++k) ASSERT_EQ(*big.get(k), k);

  M small;
  small.reserve(100);
  EXPECT_LT(small.allocated_bytes(), std::size_t{2} << 20);
}

TEST(Allocation, OtherAllocatorsGetEveryByte) {
  FailingResource res;
  FaultMap m(0, 1, FaultHash{}, FaultEq(), FaultAlloc(&res));
  m.reserve(std::size_t{1} << 16);
  EXPECT_GE(res.live_bytes(), std::size_t{2} << 20) << "the array bypassed the map's allocator";
  EXPECT_EQ(res.live_bytes(), m.allocated_bytes());
  m.shrink_to_fit();
  EXPECT_EQ(res.live_bytes(), 0u);
}

}  // namespace
}  // namespace tophash
