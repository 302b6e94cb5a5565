// SyncMap against LockedMap, one map shared by all benchmark threads.
//   read-mostly: 99% Load, 1% Store, all on keys already present
//   write-heavy: 40% Store, 20% Delete, 20% LoadOrStore, 20% Load
// Run with 1 and 2 threads; compare items_per_second of the two maps.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace {

constexpr std::uint64_t kKeys = 1024;

std::uint64_t next_random(std::uint64_t& s) {  // xorshift64
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

template <class Map>
Map* shared_map = nullptr;

template <class Map>
void setup(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_map<Map> = new Map;
    for (std::uint64_t k = 0; k < kKeys; ++k) shared_map<Map>->Store(k, k);
    // Let SyncMap promote its dirty map, as a long-running program would.
    for (std::uint64_t k = 0; k < kKeys; ++k) benchmark::DoNotOptimize(shared_map<Map>->Load(k));
  }
}
template <class Map>
void teardown(benchmark::State& state) {
  if (state.thread_index() == 0) {
    delete shared_map<Map>;
    shared_map<Map> = nullptr;
  }
}

template <class Map>
void ReadMostly(benchmark::State& state) {
  setup<Map>(state);
  std::uint64_t rng = 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    const std::uint64_t r = next_random(rng);
    const std::uint64_t k = r % kKeys;
    if ((r >> 32) % 100 == 0) {
      shared_map<Map>->Store(k, r);
    } else {
      benchmark::DoNotOptimize(shared_map<Map>->Load(k));
    }
  }
  state.SetItemsProcessed(state.iterations());
  teardown<Map>(state);
}

template <class Map>
void WriteHeavy(benchmark::State& state) {
  setup<Map>(state);
  std::uint64_t rng = 0x2545f4914f6cdd1dull + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    const std::uint64_t r = next_random(rng);
    const std::uint64_t k = r % kKeys;
    switch ((r >> 32) % 5) {
      case 0:
      case 1:
        shared_map<Map>->Store(k, r);
        break;
      case 2:
        shared_map<Map>->Delete(k);
        break;
      case 3:
        benchmark::DoNotOptimize(shared_map<Map>->LoadOrStore(k, r));
        break;
      default:
        benchmark::DoNotOptimize(shared_map<Map>->Load(k));
        break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  teardown<Map>(state);
}

using Sync = tophash::SyncMap<std::uint64_t, std::uint64_t>;
using Locked = tophash::LockedMap<std::uint64_t, std::uint64_t>;

BENCHMARK(ReadMostly<Sync>)->Name("ReadMostly/SyncMap")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(ReadMostly<Locked>)->Name("ReadMostly/LockedMap")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(WriteHeavy<Sync>)->Name("WriteHeavy/SyncMap")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(WriteHeavy<Locked>)->Name("WriteHeavy/LockedMap")->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
