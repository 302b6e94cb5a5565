// properties/program_machine.h: a RapidCheck state machine whose commands
// write a trace Program and run each op as it is written, once, through
// the lockstep executor (reference/executor.h: an Execution stepping
// BucketMap against the std::unordered_map model, the iteration oracle,
// the invariants), so a case costs its length. At the end every iterator
// still open is drained (so the oracle's end-of-iteration checks, every
// key yielded exactly once, run on every iterator), and the end-of-program
// checks run (growWork's pace among the executor's checks after every op,
// reference/growth_pace.h). A failing case shrinks to the fewest commands and prints as a trace
// bucketmap-replay runs, up to the failing op.
//
// The RapidCheck model (GenState) is not the oracle (the executor has
// that); it is what generation needs: which keys are present, how full the
// map is, which iterators are open, how much of the budget is spent, so
// that choices lean toward the states where maps break: counts at the
// growth thresholds, colliding keys and long chains, churn with fresh
// keys, iterators held open across doubling and same-size growth and
// stepped between the writes that evacuate, iterators started mid-growth
// at the last buckets with every slot offset, NaN keys evacuated while an
// iterator filters them, maps emptied (and reseeded) under an open
// iterator and filled again.
//
// Commands that name keys by what the state holds (delete present keys,
// fill to a threshold) work them out from the state they run on, so a
// shrunk sequence keeps their meaning; each command's preconditions say
// what it needs of that state.
//
// Budgets keep a case small and quick: at most kMaxOps ops and kMaxSteps
// iterator steps per program (single-op commands are bounded by the
// command count), a drain fails after a few times as many steps as the
// program has puts so far, and a case that takes longer than its
// wall-clock budget (watchdog.h) ends the run with the program printed.
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "executor.h"
#include "trace.h"

namespace tophash::properties {

inline constexpr int kIters = 3;
inline constexpr std::size_t kMaxOps = 6000;
inline constexpr std::size_t kMaxSteps = 2500;

struct GenState {
  trace::Config config;
  std::set<std::uint32_t> present;  // key ids present (what a delete can find)
  std::size_t count = 0;            // entries, NaN keys included
  std::size_t nans = 0;             // NaN entries (no delete finds them)
  std::size_t peak = 0;             // sizes the map's B: the most entries (or a reserve) since the last shrink
  std::uint32_t fresh = 1000;       // next never-used key id
  std::array<bool, kIters> open{};  // iterator declared and not drained or closed
  std::size_t ops = 0;              // ops written
  std::size_t steps = 0;            // iterator steps written
  // The C++ API's second map (copy, move, swap, use): the fields above
  // describe the current map; `other` the other one (map 1 - cur), which
  // swaps with them on `use` and `swap`. Iterators belong to the map
  // current at their start (owner).
  struct Side {
    std::set<std::uint32_t> present;
    std::size_t count = 0, nans = 0, peak = 0;
  };
  Side other;
  int cur = 0;
  std::array<int, kIters> owner{};
};

// The system: the program written so far, and its execution, which has
// run every op written.
struct ProgramSut {
  explicit ProgramSut(const trace::Config& config);
  ProgramSut(const ProgramSut&) = delete;  // the execution refers to the program
  ProgramSut& operator=(const ProgramSut&) = delete;

  // Appends op and runs it; fails the property (with the trace up to op
  // and the layout after it) if a check fails.
  void run(const trace::Op& op);

  trace::Program program;
  std::unique_ptr<reference::Execution> execution;
  std::size_t puts = 0;             // bounds a drain (ExecOptions::max_drain)
  std::array<bool, kIters> open{};  // iterators to drain at the end
};

using Command = rc::state::Command<GenState, ProgramSut>;

// Smallest count that makes a map sized for `peak` entries double next.
std::size_t next_threshold(std::size_t peak);

// The command generator for a state.
rc::Gen<std::shared_ptr<const Command>> command_gen(const GenState& s);

// A property: a random command sequence from `config` holds every check.
// `name` says which property, for the watchdog's report.
void check_machine(const trace::Config& config, const std::string& name);

}  // namespace tophash::properties
