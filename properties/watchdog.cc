#include "watchdog.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace tophash::properties {

namespace {

using Clock = std::chrono::steady_clock;

struct Watch {
  std::mutex mu;
  bool armed = false;
  Clock::time_point deadline;
  std::string what;
  const trace::Program* program = nullptr;
  double budget = 10;
};

[[noreturn]] void time_is_up(Watch& w) {
  char budget[32];
  std::snprintf(budget, sizeof budget, "%g", w.budget);
  std::string s = "\n==== tophash: " + w.what + " ran over its budget of " + budget +
                  " s (TOPHASH_CASE_SECONDS): a hang? ====\n";
  if (w.program != nullptr) {
    s += "--- the program it was running (bucketmap-replay --check FILE) ---\n";
    s += trace::print_trace(*w.program);
  } else {
    s += "(it was not running a program: the time went into generation or shrinking)\n";
  }
  std::fputs(s.c_str(), stderr);
  std::fflush(stderr);
  std::_Exit(124);
}

Watch& watch() {
  static Watch* w = [] {
    auto* w = new Watch;  // never destroyed: the thread outlives main's statics
    w->budget = case_budget_seconds();
    std::thread([w] {
      for (;;) {
        // Polling keeps arming cheap (no wake-up per case); a tenth of a
        // second is nothing against a budget of seconds.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard<std::mutex> lock(w->mu);
        if (w->armed && Clock::now() >= w->deadline) time_is_up(*w);
      }
    }).detach();
    return w;
  }();
  return *w;
}

}  // namespace

double case_budget_seconds() {
  static const double budget = [] {
    const char* s = std::getenv("TOPHASH_CASE_SECONDS");
    if (s == nullptr || *s == '\0') return 10.0;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0)) {
      std::fprintf(stderr, "TOPHASH_CASE_SECONDS=%s: want a positive number of seconds\n", s);
      std::exit(2);
    }
    return v;
  }();
  return budget;
}

CaseClock::CaseClock(std::string what) {
  Watch& w = watch();
  std::lock_guard<std::mutex> lock(w.mu);
  w.what = std::move(what);
  w.program = nullptr;
  w.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(w.budget));
  w.armed = true;
}

CaseClock::~CaseClock() {
  Watch& w = watch();
  std::lock_guard<std::mutex> lock(w.mu);
  w.armed = false;
  w.program = nullptr;
}

Executing::Executing(const trace::Program& p) {
  Watch& w = watch();
  std::lock_guard<std::mutex> lock(w.mu);
  w.program = &p;
}

Executing::~Executing() {
  Watch& w = watch();
  std::lock_guard<std::mutex> lock(w.mu);
  w.program = nullptr;
}

}  // namespace tophash::properties
