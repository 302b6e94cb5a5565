// SyncMap, one thread at a time: Go's semantics of each operation, then the
// machinery behind them (dirty map, misses, promotion, expunged entries),
// then memory: every value freed exactly once.
#include "tophash/sync_map.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "counted.h"  // reference/counted.h

namespace {

using tophash::SyncMap;
using Map = SyncMap<std::uint64_t, std::uint64_t>;

TEST(SyncMapOps, EmptyMapHasNothing) {
  Map m;
  EXPECT_EQ(m.Load(1), std::nullopt);
  EXPECT_EQ(m.LoadAndDelete(1), std::nullopt);
  EXPECT_FALSE(m.CompareAndSwap(1, 0, 1));
  EXPECT_FALSE(m.CompareAndDelete(1, 0));
  int visits = 0;
  m.Range([&](auto&, auto&) { return ++visits, true; });
  EXPECT_EQ(visits, 0);
}

TEST(SyncMapOps, StoreOverwrites) {
  Map m;
  m.Store(1, 10);
  EXPECT_EQ(m.Load(1), 10u);
  m.Store(1, 11);
  EXPECT_EQ(m.Load(1), 11u);
  EXPECT_EQ(m.Load(2), std::nullopt);
}

TEST(SyncMapOps, LoadOrStoreKeepsTheFirstValue) {
  Map m;
  EXPECT_EQ(m.LoadOrStore(1, 10), std::make_pair(std::uint64_t{10}, false));
  EXPECT_EQ(m.LoadOrStore(1, 20), std::make_pair(std::uint64_t{10}, true));
  EXPECT_EQ(m.Load(1), 10u);
  m.Delete(1);
  EXPECT_EQ(m.LoadOrStore(1, 30), std::make_pair(std::uint64_t{30}, false));
}

TEST(SyncMapOps, LoadAndDeleteReturnsTheValueOnce) {
  Map m;
  m.Store(1, 10);
  EXPECT_EQ(m.LoadAndDelete(1), 10u);
  EXPECT_EQ(m.LoadAndDelete(1), std::nullopt);
  EXPECT_EQ(m.Load(1), std::nullopt);
}

TEST(SyncMapOps, SwapReturnsThePreviousValue) {
  Map m;
  EXPECT_EQ(m.Swap(1, 10), std::nullopt);
  EXPECT_EQ(m.Swap(1, 11), 10u);
  EXPECT_EQ(m.Load(1), 11u);
}

TEST(SyncMapOps, CompareAndSwapNeedsAnEqualValue) {
  Map m;
  m.Store(1, 10);
  EXPECT_FALSE(m.CompareAndSwap(1, 9, 12));
  EXPECT_EQ(m.Load(1), 10u);
  EXPECT_TRUE(m.CompareAndSwap(1, 10, 12));
  EXPECT_EQ(m.Load(1), 12u);
  m.Delete(1);
  EXPECT_FALSE(m.CompareAndSwap(1, 12, 13));  // a deleted key holds nothing to compare
  EXPECT_EQ(m.Load(1), std::nullopt);
}

TEST(SyncMapOps, CompareAndDeleteNeedsAnEqualValue) {
  Map m;
  m.Store(1, 10);
  EXPECT_FALSE(m.CompareAndDelete(1, 9));
  EXPECT_EQ(m.Load(1), 10u);
  EXPECT_TRUE(m.CompareAndDelete(1, 10));
  EXPECT_EQ(m.Load(1), std::nullopt);
  EXPECT_FALSE(m.CompareAndDelete(1, 10));
}

// ---- the machinery ----------------------------------------------------------

TEST(SyncMapMachinery, ANewKeyGoesToDirtyAndMarksTheSnapshotAmended) {
  Map m;
  m.Store(1, 10);
  auto s = m.stats();
  EXPECT_TRUE(s.amended);
  EXPECT_TRUE(s.has_dirty);
  EXPECT_EQ(s.read_keys, 0u);
  EXPECT_EQ(s.dirty_keys, 1u);
}

TEST(SyncMapMachinery, MissesUpToDirtysSizePromoteIt) {
  Map m;
  for (std::uint64_t k = 1; k <= 3; ++k) m.Store(k, k * 10);
  EXPECT_EQ(m.Load(1), 10u);
  EXPECT_EQ(m.stats().misses, 1u);
  EXPECT_EQ(m.Load(2), 20u);
  EXPECT_EQ(m.stats().misses, 2u);
  EXPECT_EQ(m.Load(9), std::nullopt);  // a miss for an absent key counts too
  auto s = m.stats();
  EXPECT_FALSE(s.has_dirty);
  EXPECT_FALSE(s.amended);
  EXPECT_EQ(s.read_keys, 3u);
  EXPECT_EQ(s.misses, 0u);
  // Now served from the snapshot: no more misses.
  EXPECT_EQ(m.Load(3), 30u);
  EXPECT_EQ(m.stats().misses, 0u);
}

TEST(SyncMapMachinery, StoreToAKeyInTheSnapshotNeedsNoDirtyMap) {
  Map m;
  m.Store(1, 10);
  m.Load(1);  // promote
  m.Store(1, 11);
  auto s = m.stats();
  EXPECT_FALSE(s.has_dirty);
  EXPECT_FALSE(s.amended);
  EXPECT_EQ(m.Load(1), 11u);
}

// The life of an expunged entry: deleted in the snapshot, left out of the
// rebuilt dirty map, revived under the lock by a Store, and still there
// after the next promotion.
TEST(SyncMapMachinery, AnExpungedEntryRevivedByStoreSurvivesPromotion) {
  Map m;
  m.Store(1, 10);
  m.Load(1);  // promote: 1 is in the snapshot
  m.Delete(1);
  m.Store(2, 20);  // rebuilds dirty: 1 is expunged
  auto s = m.stats();
  EXPECT_EQ(s.expunged, 1u);
  EXPECT_EQ(s.dirty_keys, 1u);
  m.Store(1, 11);  // unexpunges 1 into dirty
  s = m.stats();
  EXPECT_EQ(s.expunged, 0u);
  EXPECT_EQ(s.dirty_keys, 2u);
  m.Load(3);
  m.Load(3);  // two misses: promote
  EXPECT_FALSE(m.stats().has_dirty);
  EXPECT_EQ(m.Load(1), 11u);
  EXPECT_EQ(m.Load(2), 20u);
}

TEST(SyncMapMachinery, LoadOrStoreAndSwapAlsoReviveExpungedEntries) {
  Map m;
  m.Store(1, 10);
  m.Store(2, 20);
  m.Load(1);
  m.Load(1);  // promote {1, 2}
  m.Delete(1);
  m.Delete(2);
  m.Store(3, 30);  // expunges 1 and 2
  EXPECT_EQ(m.stats().expunged, 2u);
  EXPECT_EQ(m.LoadOrStore(1, 11), std::make_pair(std::uint64_t{11}, false));
  EXPECT_EQ(m.Swap(2, 21), std::nullopt);
  m.Range([](auto&, auto&) { return true; });  // promotes
  EXPECT_EQ(m.Load(1), 11u);
  EXPECT_EQ(m.Load(2), 21u);
  EXPECT_EQ(m.Load(3), 30u);
}

TEST(SyncMapMachinery, ADeleteOfAKeyOnlyInDirtyRemovesItFromDirty) {
  Map m;
  m.Store(1, 10);
  EXPECT_EQ(m.LoadAndDelete(1), 10u);
  EXPECT_EQ(m.stats().dirty_keys, 0u);
  EXPECT_EQ(m.Load(1), std::nullopt);
}

TEST(SyncMapRange, VisitsEveryKeyOnceAndPromotesFirst) {
  Map m;
  for (std::uint64_t k = 0; k < 100; ++k) m.Store(k, k + 1000);
  for (std::uint64_t k = 0; k < 100; k += 3) m.Delete(k);
  std::map<std::uint64_t, std::uint64_t> seen;
  m.Range([&](const std::uint64_t& k, const std::uint64_t& v) {
    EXPECT_TRUE(seen.emplace(k, v).second) << "key " << k << " twice";
    return true;
  });
  EXPECT_EQ(seen.size(), 66u);
  for (auto [k, v] : seen) {
    EXPECT_NE(k % 3, 0u);
    EXPECT_EQ(v, k + 1000);
  }
  EXPECT_FALSE(m.stats().amended);
}

TEST(SyncMapRange, StopsWhenTheCallbackSaysSo) {
  Map m;
  for (std::uint64_t k = 0; k < 10; ++k) m.Store(k, k);
  int visits = 0;
  m.Range([&](auto&, auto&) { return ++visits < 3; });
  EXPECT_EQ(visits, 3);
}

TEST(SyncMapRange, TheCallbackMayWriteTheMap) {
  Map m;
  for (std::uint64_t k = 0; k < 10; ++k) m.Store(k, k);
  m.Range([&](const std::uint64_t& k, const std::uint64_t& v) {
    m.Store(k, v + 100);
    m.Store(k + 1000, 0);
    m.Delete(k + 1000);
    return true;
  });
  for (std::uint64_t k = 0; k < 10; ++k) EXPECT_EQ(m.Load(k), k + 100);
  EXPECT_EQ(m.Load(1000), std::nullopt);
}

TEST(SyncMapTypes, StringKeysAndValues) {
  SyncMap<std::string, std::string> m;
  m.Store("alpha", std::string(100, 'a'));
  EXPECT_EQ(m.LoadOrStore("beta", "b").second, false);
  EXPECT_TRUE(m.CompareAndSwap("beta", "b", "bb"));
  EXPECT_EQ(m.Load("beta"), "bb");
  EXPECT_EQ(m.Swap("alpha", "A"), std::string(100, 'a'));
  EXPECT_EQ(m.LoadAndDelete("alpha"), "A");
  EXPECT_EQ(m.Load("alpha"), std::nullopt);
}

// ---- memory -------------------------------------------------------------------

TEST(SyncMapMemory, EveryValueIsDestroyedExactlyOnce) {
  using Counted = tophash::reference::SharedCounted;
  const std::int64_t before = Counted::stats().live.load();
  {
    SyncMap<std::uint64_t, Counted> m;
    for (std::uint64_t round = 0; round < 20; ++round) {
      for (std::uint64_t k = 0; k < 50; ++k) {
        switch ((k + round) % 6) {
          case 0: m.Store(k, Counted(round)); break;
          case 1: m.LoadOrStore(k, Counted(round)); break;
          case 2: m.Swap(k, Counted(round)); break;
          case 3: m.Delete(k); break;
          case 4: m.CompareAndSwap(k, Counted(round - 1), Counted(round)); break;
          default: m.Load(k + 1000); break;  // misses drive promotions
        }
      }
    }
    EXPECT_GT(Counted::stats().live.load(), before);
  }
  EXPECT_EQ(Counted::stats().live.load(), before);
  EXPECT_EQ(Counted::stats().error.load(), nullptr) << "a value destroyed twice or used after its destruction";
}

TEST(SyncMapMemory, RetiredValuesAreFreedOnceTheEpochMoves) {
  using Counted = tophash::reference::SharedCounted;
  const std::int64_t before = Counted::stats().live.load();
  SyncMap<std::uint64_t, Counted> m;
  for (std::uint64_t i = 0; i < 10; ++i) m.Store(1, Counted(i));  // nine values retired
  std::size_t pending = m.collect();
  for (int i = 0; i < 3 && pending != 0; ++i) pending = m.collect();
  EXPECT_EQ(pending, 0u);
  EXPECT_EQ(Counted::stats().live.load(), before + 1);  // only the current value is left
}

}  // namespace
