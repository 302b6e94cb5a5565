// fuzz/program_target.h: the one libFuzzer entry point of every byte-level
// target: decode, execute in lockstep, and on a failed check print the
// report (check, trace, layout) and abort so libFuzzer keeps the input.
// TOPHASH_PRINT_TRACE=1 prints each decoded program as a trace first.
// TOPHASH_STATS_FILE=PATH appends one line at exit with the runs and the Go
// 1.19 deviations the oracle accepted (iter_oracle.h R6, R7), for the
// campaign's summary:
//   tophash-stats target=u64_tiny runs=N go59411=A go_stale_array=B go_filter=C go_clear_mark=D
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "executor.h"
#include "targets.h"

namespace tophash::fuzz {

// What this process's runs saw, written out at exit when asked for.
struct RunTally {
  const char* target = nullptr;
  std::size_t runs = 0, go59411 = 0, go_stale_array = 0, go_filter = 0, go_clear_mark = 0;

  static RunTally& get() {
    static RunTally t;
    return t;
  }
  void add(const char* name, const reference::ExecStats& st) {
    if (target == nullptr) {
      target = name;
      if (std::getenv("TOPHASH_STATS_FILE") != nullptr) std::atexit([] { get().write(); });
    }
    ++runs;
    go59411 += st.go59411;
    go_stale_array += st.go_stale_array;
    go_filter += st.go_filter;
    go_clear_mark += st.go_clear_mark;
  }
  // One write(2) to an O_APPEND file: lines from concurrent processes
  // (libFuzzer -fork) do not interleave.
  void write() const {
    const char* path = std::getenv("TOPHASH_STATS_FILE");
    if (path == nullptr || target == nullptr) return;
    char line[256];
    const int n = std::snprintf(line, sizeof line,
                                "tophash-stats target=%s runs=%zu go59411=%zu go_stale_array=%zu go_filter=%zu "
                                "go_clear_mark=%zu\n",
                                target, runs, go59411, go_stale_array, go_filter, go_clear_mark);
    const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || n <= 0) return;
    [[maybe_unused]] const auto w = ::write(fd, line, static_cast<std::size_t>(n));
    ::close(fd);
  }
};

// Out of line, so that it keeps out of coverage (coverage-ignorelist.txt)
// rather than being instrumented inside LLVMFuzzerTestOneInput.
[[gnu::noinline]] inline int run_program_target(const char* name, const std::uint8_t* data, std::size_t size) {
  static const DecodeOptions opt = *options_for(name);
  static const bool print = std::getenv("TOPHASH_PRINT_TRACE") != nullptr;
  static trace::Program p;  // reused: its vectors keep their capacity
  decode(data, size, opt, p);
  if (print) {
    std::fputs(trace::print_trace(p).c_str(), stdout);
    std::fflush(stdout);
  }
  const reference::Verdict v = reference::execute(p);
  RunTally::get().add(name, v.stats);
  if (!v.passed()) {
    std::fprintf(stderr, "\n==== tophash: check failed in fuzz target %s ====\n%s", name,
                 reference::describe(p, v).c_str());
    std::fflush(stderr);
    std::abort();
  }
  // Its strings freed in the run that allocated them: libFuzzer runs an
  // input again (and a leak check) when it allocated more than it freed.
  p.clear();
  return 0;
}

}  // namespace tophash::fuzz

#define TOPHASH_PROGRAM_TARGET(NAME)                                                       \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {     \
    return tophash::fuzz::run_program_target(NAME, data, size);                            \
  }
