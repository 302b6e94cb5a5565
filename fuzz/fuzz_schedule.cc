// Fuzz target "schedule": a small concurrent scenario on SyncMap or
// LockedMap, run under the deterministic scheduler (concurrent/README.md).
// The input's first bytes choose the scenario (scenario_from_bytes: map,
// threads, setup, 1 to 5 operations per thread), the rest the schedule
// (ByteStrategy: pairs "run on k steps, then take choice c"), so
// libFuzzer's coverage guidance explores interleavings as well as
// programs. Every run is checked for linearizability, Go's Range contract,
// double retires and complete reclamation; AddressSanitizer catches any
// access after free at once. A failure prints the scenario, the schedule
// (a file of both replays with concurrent-schedule --replay) and the steps.
#include <cstddef>
#include <cstdint>

#include "program_target.h"
#include "scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sched = tophash::sched;
  static sched::Scheduler* const scheduler = [] {  // one per process: it claims epoch records
    auto* s = new sched::Scheduler;
    s->set_fuzz_target("schedule");
    return s;
  }();
  std::size_t used = 0;
  const sched::Scenario sc = sched::scenario_from_bytes(data, size, &used);
  sched::ByteStrategy strategy(data + used, size - used);
  sched::run_scenario(*scheduler, sc, strategy);
  tophash::fuzz::RunTally::get().add("schedule", {});
  return 0;
}
