// fuzz/program_target.h: the one libFuzzer entry point of every byte-level
// target: decode, execute in lockstep, and on a failed check print the
// report (check, trace, layout) and abort so libFuzzer keeps the input.
// TOPHASH_PRINT_TRACE=1 prints each decoded program as a trace first.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "executor.h"
#include "targets.h"

namespace tophash::fuzz {

// Out of line, so that it keeps out of coverage (coverage-ignorelist.txt)
// rather than being instrumented inside LLVMFuzzerTestOneInput.
[[gnu::noinline]] inline int run_program_target(const char* name, const std::uint8_t* data, std::size_t size) {
  static const reference::DecodeOptions opt = *options_for(name);
  static const bool print = std::getenv("TOPHASH_PRINT_TRACE") != nullptr;
  static trace::Program p;  // reused: its vectors keep their capacity
  reference::decode(data, size, opt, p);
  if (print) {
    std::fputs(trace::print_trace(p).c_str(), stdout);
    std::fflush(stdout);
  }
  const reference::Verdict v = reference::execute(p);
  if (!v.ok()) {
    std::fprintf(stderr, "\n==== tophash: check failed in fuzz target %s ====\n%s", name,
                 reference::describe(p, v).c_str());
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}

}  // namespace tophash::fuzz

#define TOPHASH_PROGRAM_TARGET(NAME)                                                       \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {     \
    return tophash::fuzz::run_program_target(NAME, data, size);                            \
  }
