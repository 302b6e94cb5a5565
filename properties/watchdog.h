// properties/watchdog.h: a wall-clock budget per case, so that a planted
// bug that loops inside the map fails in seconds, with the program it was
// running, rather than at the test runner's timeout.
//
// A loop inside the map cannot be interrupted from the thread running it,
// so a watchdog thread watches the clock: when a case outlives its budget
// it prints what the case was (a property's name, an exhaustive
// scenario), the program being executed, and ends the process with
// status 124 (as timeout(1) does). The budget is TOPHASH_CASE_SECONDS
// (default 10), far more than a correct case needs.
//
//   CaseClock clock("Machine.U64TinyHash");    // the case is on the clock
//   { Executing e(program); reference::execute(program); }
//
// Cases do not nest; Executing marks the program the watchdog shows.
#pragma once

#include <string>

#include "trace.h"

namespace tophash::properties {

// The budget of one case, in seconds (TOPHASH_CASE_SECONDS; default 10).
double case_budget_seconds();

class CaseClock {
 public:
  explicit CaseClock(std::string what);
  ~CaseClock();
  CaseClock(const CaseClock&) = delete;
  CaseClock& operator=(const CaseClock&) = delete;
};

// While alive, `p` is the program the watchdog prints if time runs out.
// `p` must not change meanwhile.
class Executing {
 public:
  explicit Executing(const trace::Program& p);
  ~Executing();
  Executing(const Executing&) = delete;
  Executing& operator=(const Executing&) = delete;
};

}  // namespace tophash::properties
