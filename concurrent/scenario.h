// concurrent/scenario.h: small concurrent programs on SyncMap or LockedMap,
// run under the deterministic scheduler (scheduler.h) and checked.
//
// A scenario is a few operations run one after the other before the
// threads start (setup), then 2 or 3 logical threads of 1 to 5 operations
// each. As text (what a failure prints and a replay file holds):
//
//   map: sync
//   setup: Store(1, 1); Load(1)
//   t0: Load(1)
//   t1: Store(1, 102); Collect; Collect
//   schedule: 0x12 1x40 0x5          (replay files only)
//
// Operations: Load(k), Store(k, v), LoadOrStore(k, v), LoadAndDelete(k),
// Delete(k), Swap(k, v), CompareAndSwap(k, old, new),
// CompareAndDelete(k, old), Range, and Collect (SyncMap::collect: advance
// the epoch and free what has aged; nothing on LockedMap).
//
// Each run records every operation's call and return on the scheduler's
// logical clock and then checks: the history is linearizable (per key,
// concurrent/linearizability.h) including a final Load of every key once
// the threads are done; every Range keeps Go's contract; and once every
// thread is done, collecting frees every retired object. A failed check
// prints the scenario, the schedule and the steps, and aborts.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scheduler.h"

namespace tophash::sched {

enum class OpKind : std::uint8_t {
  kLoad,
  kStore,
  kLoadOrStore,
  kLoadAndDelete,
  kDelete,
  kSwap,
  kCompareAndSwap,
  kCompareAndDelete,
  kRange,
  kCollect,
};
inline constexpr unsigned kOpKinds = 10;

struct ScenarioOp {
  OpKind kind = OpKind::kLoad;
  std::uint64_t key = 0;
  std::uint64_t value = 0;     // stored (Store, LoadOrStore, Swap, CompareAndSwap's new)
  std::uint64_t expected = 0;  // CompareAndSwap, CompareAndDelete
};

struct Scenario {
  bool locked = false;  // LockedMap instead of SyncMap
  std::vector<ScenarioOp> setup;
  std::vector<std::vector<ScenarioOp>> threads;
};

std::string format_op(const ScenarioOp& op);
std::string to_text(const Scenario& sc);
// Parses to_text's format; a "schedule:" line goes to *schedule when
// given (else it is an error). False and *error on bad text.
bool parse_scenario(const std::string& text, Scenario* sc, std::string* schedule, std::string* error);

// A scenario from fuzz bytes; *used says how many it took (the rest drive
// the schedule). Every byte string decodes to a valid scenario.
Scenario scenario_from_bytes(const std::uint8_t* data, std::size_t size, std::size_t* used);
// A random scenario: `threads` threads of 2 to `max_ops` operations on 2 keys.
Scenario random_scenario(std::mt19937_64& rng, unsigned threads, unsigned max_ops);
// Hand-made scenarios, each aimed at one window of SyncMap's protocol.
const std::vector<std::pair<std::string, Scenario>>& builtin_scenarios();

// One run of the scenario under `strategy`, checked (see above).
void run_scenario(Scheduler& sched, const Scenario& sc, Strategy& strategy);

struct Exploration {
  std::size_t runs = 0;
  bool complete = false;  // every schedule within the bound was run
};
// Every schedule with at most `bound` preemptions, up to `max_runs` runs
// (and, when `stop` is given, until it returns true).
Exploration explore_dfs(Scheduler& sched, const Scenario& sc, unsigned bound, std::size_t max_runs,
                        const std::function<bool()>& stop = nullptr);
// `runs` seeded random schedules.
Exploration explore_random(Scheduler& sched, const Scenario& sc, std::uint64_t seed, std::size_t runs);

}  // namespace tophash::sched
