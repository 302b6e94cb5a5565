// reference/check.h: how the harness's checks fail. A failed check throws
// CheckFailure; the executor catches it while the map is still alive, so
// the failure report can show the layout at the failing step.
#pragma once

#include <string>

// Harness code (checks, model, oracle) is not what the fuzzer should learn
// from, and instrumenting it costs throughput: functions marked
// TOPHASH_HARNESS get no coverage instrumentation (the map's own code
// stays instrumented). Whole harness files are compiled without it
// instead (reference/CMakeLists.txt).
#if defined(__clang__)
#define TOPHASH_HARNESS __attribute__((no_sanitize("coverage")))
#else
#define TOPHASH_HARNESS
#endif

namespace tophash::reference {

struct CheckFailure {
  std::string check;   // which check: a short stable name, e.g. "invariant: emptyRest"
  std::string detail;  // what was seen
};

[[noreturn]] inline void fail(std::string check, std::string detail) {
  throw CheckFailure{std::move(check), std::move(detail)};
}

}  // namespace tophash::reference
