// Fuzz target "faults": failed allocations and throwing key copies, value
// copies, hashes, equality and predicates, at calls the input chooses, with
// the lockstep, invariant, iterator and leak checks of
// reference/faults_run.h. The input is the program (its format is there),
// not the byte format of decode.h. With TOPHASH_FAULTS_VERBOSE set it
// prints each op as it runs (scripts/repro shows a crash's program so).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "faults_run.h"

namespace {

[[gnu::noinline]] int run_faults(const std::uint8_t* data, std::size_t size) {
  static const bool verbose = std::getenv("TOPHASH_FAULTS_VERBOSE") != nullptr;
  tophash::reference::faults::FaultRun run(data, size);
  run.set_verbose(verbose);
  if (const auto failure = run.run()) {
    std::fprintf(stderr, "\n==== tophash: check failed in fuzz target faults ====\ncheck failed: %s\n",
                 failure->c_str());
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return run_faults(data, size); }
