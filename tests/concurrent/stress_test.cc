// Many threads on one map: every history must be linearizable and every
// Range must keep Go's contract. The same programs run on SyncMap and on
// LockedMap; a deliberately broken map shows the checker sees violations.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <thread>

#include "counted.h"  // reference/counted.h
#include "linearizability.h"
#include "stress.h"
#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace {

using tophash::LockedMap;
using tophash::SyncMap;
namespace lin = tophash::lin;
namespace stress = tophash::stress;

// Runs the programs, checks the history and every Range, and prints how
// fast the checker went.
template <class Map>
void run_and_check(const stress::Config& cfg) {
  Map map;
  const stress::Result r = stress::run(map, cfg);
  const auto start = std::chrono::steady_clock::now();
  const lin::Verdict v = lin::check(r.ops);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seed %llu: %zu ops on %zu keys checked in %.3f s (%.0f ops/s), %zu Range calls\n",
              static_cast<unsigned long long>(cfg.seed), v.ops, v.keys, secs, v.ops / secs, r.ranges.size());
  EXPECT_TRUE(v.linearizable) << "seed " << cfg.seed << "\n" << v.report;
  for (const lin::RangeCall& range : r.ranges) {
    const std::string problem = lin::check_range(range, r.ops);
    EXPECT_EQ(problem, "") << "seed " << cfg.seed;
  }
}

template <class Map>
void hot_keys() {
  // Few keys, every operation: the most overlap per key.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    stress::Config cfg;
    cfg.seed = seed;
    cfg.keys = 4;
    cfg.ops_per_thread = 1500;
    run_and_check<Map>(cfg);
  }
}

template <class Map>
void more_threads_than_cores() {
  // Eight threads on two cores: preemption inside operations, not only
  // overlap between them.
  stress::Config cfg;
  cfg.seed = 31;
  cfg.threads = 8;
  cfg.keys = 8;
  cfg.ops_per_thread = 600;
  run_and_check<Map>(cfg);
}

template <class Map>
void churn_through_promotions() {
  // Many keys coming and going: SyncMap builds dirty maps, expunges,
  // unexpunges and promotes all the time.
  for (std::uint64_t seed = 11; seed <= 13; ++seed) {
    stress::Config cfg;
    cfg.seed = seed;
    cfg.keys = 96;
    cfg.ops_per_thread = 1500;
    cfg.mix.load_and_delete = 12;
    cfg.mix.del = 12;
    cfg.mix.load_or_store = 16;
    cfg.mix.range = 4;
    run_and_check<Map>(cfg);
  }
}

template <class Map>
void read_mostly() {
  // SyncMap's case: 90% loads.
  stress::Config cfg;
  cfg.seed = 21;
  cfg.keys = 32;
  cfg.ops_per_thread = 2000;
  cfg.mix = stress::Mix{90, 4, 2, 1, 1, 1, 1, 0, 1};
  run_and_check<Map>(cfg);
}

using Sync = SyncMap<std::uint64_t, std::uint64_t>;
using Locked = LockedMap<std::uint64_t, std::uint64_t>;

TEST(SyncMapStress, HotKeys) { hot_keys<Sync>(); }
TEST(SyncMapStress, ChurnThroughPromotions) { churn_through_promotions<Sync>(); }
TEST(SyncMapStress, ReadMostly) { read_mostly<Sync>(); }
TEST(SyncMapStress, MoreThreadsThanCores) { more_threads_than_cores<Sync>(); }
TEST(LockedMapStress, HotKeys) { hot_keys<Locked>(); }
TEST(LockedMapStress, MoreThreadsThanCores) { more_threads_than_cores<Locked>(); }
TEST(LockedMapStress, ChurnThroughPromotions) { churn_through_promotions<Locked>(); }
TEST(LockedMapStress, ReadMostly) { read_mostly<Locked>(); }

// LockedMap shares its lock among readers only when a lookup is a pure
// read. With floating-point keys a lookup of NaN draws from the map's
// random source, so readers must exclude each other: under TSan a shared
// lock here would be a reported race.
TEST(LockedMapFloatKeys, NaNLookupsFromManyThreads) {
  LockedMap<double, int> map(/*seed=*/3);
  map.Store(1.5, 1);
  map.Store(std::numeric_limits<double>::quiet_NaN(), 2);  // never found again, as in Go
  // Counted per thread: a shared atomic counter would order the threads
  // and hide the race this test is about.
  int found[3] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&map, &n = found[t]] {
      for (int i = 0; i < 500; ++i) {
        n += map.Load(1.5).has_value();
        n += map.Load(std::numeric_limits<double>::quiet_NaN()).has_value();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(found[0] + found[1] + found[2], 1500);
  EXPECT_EQ(map.size(), 2u);
}

// ---- reclamation under contention ----------------------------------------------

TEST(SyncMapReclaim, NothingLeaksAndNothingWaitsOnceThreadsAreDone) {
  using Counted = tophash::reference::SharedCounted;
  const std::int64_t before = Counted::stats().live.load();
  {
    SyncMap<std::uint64_t, Counted> map;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 4; ++t) {
      threads.emplace_back([&map, t] {
        for (std::uint64_t i = 0; i < 3000; ++i) {
          const std::uint64_t k = (i * 7 + t) % 24;
          switch ((i + t) % 7) {
            case 0: map.Store(k, Counted(i)); break;
            case 1: map.Swap(k, Counted(i)); break;
            case 2: map.LoadOrStore(k, Counted(i)); break;
            case 3: map.Delete(k); break;
            case 4: map.CompareAndSwap(k, Counted(i - 7), Counted(i)); break;
            case 5: map.Range([](auto&, const Counted& v) { return v.id() != ~0ull; }); break;
            default: map.Load(k + (i % 3) * 100); break;  // misses on absent keys promote
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    // No thread is pinned now: two epoch steps free everything retired.
    std::size_t pending = map.collect();
    for (int i = 0; i < 3 && pending != 0; ++i) pending = map.collect();
    EXPECT_EQ(pending, 0u);
    long in_map = 0;
    map.Range([&](auto&, auto&) { return ++in_map, true; });
    EXPECT_EQ(Counted::stats().live.load() - before, in_map);
  }
  EXPECT_EQ(Counted::stats().live.load(), before);
  EXPECT_EQ(Counted::stats().error.load(), nullptr);
}

// ---- the harness sees violations ---------------------------------------------

// A map that loses deletes: linearizability must fail, on a schedule-free
// history (each thread has keys of its own, so the results do not depend
// on timing and the failure is certain for this seed).
class ForgetfulMap {
 public:
  std::optional<std::uint64_t> Load(std::uint64_t k) { return m_.Load(k); }
  void Store(std::uint64_t k, std::uint64_t v) { m_.Store(k, v); }
  std::pair<std::uint64_t, bool> LoadOrStore(std::uint64_t k, std::uint64_t v) { return m_.LoadOrStore(k, v); }
  std::optional<std::uint64_t> LoadAndDelete(std::uint64_t k) { return m_.LoadAndDelete(k); }
  void Delete(std::uint64_t) {}  // the bug
  std::optional<std::uint64_t> Swap(std::uint64_t k, std::uint64_t v) { return m_.Swap(k, v); }
  bool CompareAndSwap(std::uint64_t k, std::uint64_t o, std::uint64_t n) { return m_.CompareAndSwap(k, o, n); }
  bool CompareAndDelete(std::uint64_t k, std::uint64_t o) { return m_.CompareAndDelete(k, o); }
  template <class F>
  void Range(F&& f) {
    m_.Range(std::forward<F>(f));
  }

 private:
  LockedMap<std::uint64_t, std::uint64_t> m_;
};

TEST(HarnessControl, ALostDeleteIsReportedWithItsSubHistory) {
  stress::Config cfg;
  cfg.seed = 5;
  cfg.keys = 3;
  cfg.threads = 2;
  cfg.ops_per_thread = 300;
  cfg.disjoint_keys = true;
  cfg.mix.range = 0;
  ForgetfulMap map;
  const stress::Result r = stress::run(map, cfg);
  const lin::Verdict v = lin::check(r.ops);
  EXPECT_FALSE(v.linearizable);
  EXPECT_NE(v.report.find("Delete("), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("<- cannot be explained"), std::string::npos) << v.report;
  std::printf("%s", v.report.substr(0, v.report.find("\nkey ")).c_str());
}

// A Range that visits its first key twice.
class RepeatingMap : public LockedMap<std::uint64_t, std::uint64_t> {
 public:
  template <class F>
  void Range(F&& f) {
    bool again = true;
    LockedMap::Range([&](const std::uint64_t& k, const std::uint64_t& v) {
      if (!f(k, v)) return false;
      if (again && !f(k, v)) return false;
      again = false;
      return true;
    });
  }
};

TEST(HarnessControl, ARangeThatRepeatsAKeyIsReported) {
  stress::Config cfg;
  cfg.seed = 6;
  cfg.keys = 3;
  cfg.threads = 1;
  cfg.ops_per_thread = 400;
  RepeatingMap map;
  const stress::Result r = stress::run(map, cfg);
  std::size_t repeating = 0;
  for (const auto& range : r.ranges) {
    if (range.seen.size() < 2) continue;  // an empty map, or stopped at the first key
    ++repeating;
    EXPECT_NE(lin::check_range(range, r.ops).find("visited twice"), std::string::npos);
  }
  EXPECT_GT(repeating, 0u);
}

}  // namespace
