// properties/program_machine.h: a RapidCheck state machine whose commands
// write a trace Program op by op. Each command's run() appends its op and
// runs the whole program so far through the lockstep executor
// (reference/executor.h: BucketMap against the std::unordered_map model,
// the iteration oracle, the invariants), so a failing case shrinks to the
// fewest commands and prints as a trace bucketmap-replay runs.
//
// The RapidCheck model (GenState) is not the oracle (the executor has
// that); it is what generation needs: which keys are present, how full the
// map is, which iterators are open, so that choices lean toward the states
// where maps break: counts at the growth threshold, colliding keys, churn
// with fresh keys, several iterators open across growth, delete-to-empty
// and clear.
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include "decode.h"
#include "executor.h"
#include "trace.h"

namespace tophash::properties {

inline constexpr int kIters = 3;

struct GenState {
  trace::Config config;
  std::set<std::uint32_t> present;  // key ids present (what a delete can find)
  std::size_t count = 0;            // entries, NaN keys included
  std::size_t peak = 0;             // the most entries so far: B never shrinks below it
  std::uint32_t fresh = 1000;       // next never-used key id
  std::array<bool, kIters> declared{};
};

// The system: the program written so far.
struct ProgramSut {
  trace::Program program;
  std::size_t executed_ops = 0;
};

using Command = rc::state::Command<GenState, ProgramSut>;

// Smallest count that makes the map with `peak` entries double next.
std::size_t next_threshold(std::size_t peak);

// Runs sut.program and fails the property with a readable counterexample.
void run_and_check(ProgramSut& sut);

// The command generator for a state.
rc::Gen<std::shared_ptr<const Command>> command_gen(const GenState& s);

// A property: a random command sequence from `config` holds every check.
void check_machine(const trace::Config& config);

}  // namespace tophash::properties
