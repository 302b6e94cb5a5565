// Fuzz targets "go_layout", "go_layout_string", "go_layout_double": the
// real Go 1.19 map (map[uint64]uint64, map[string]uint64,
// map[float64]uint64) in the fuzz loop. Each target's source
// (fuzz_<name>.cc here) only names itself; all they do is here and in
// go_lockstep.h (the program on Go and on BucketMap, layouts compared
// after every op):
//
//   1. the input decodes with the target's key type (fuzz/decode.h; the
//      options are fuzz/targets.h's, at most 512 ops);
//   2. go_lockstep.h runs it on Go and on BucketMap.
//
// At the first difference (or a failed check) it prints the trace up to
// that op and both layouts there, writes ARTIFACT.trace and
// ARTIFACT.expected next to the crash file libFuzzer is about to write
// (ARTIFACT = -exact_artifact_path, or -artifact_prefix + crash-<sha1>),
// so that
//
//   bucketmap-replay ARTIFACT.trace | diff - ARTIFACT.expected
//
// shows it again (and `bucketmap-replay --html ARTIFACT.html --expected
// ARTIFACT.expected ARTIFACT.trace` the layout viewer on it), and aborts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "decode.h"
#include "go_lockstep.h"
#include "program_target.h"
#include "sha1.h"
#include "targets.h"

namespace tophash::fuzz::go_layout {

// Where libFuzzer writes its crash file (set from the command line).
inline std::string g_artifact_prefix;
inline std::string g_exact_artifact;

// The input that failed, for the names of the files written beside it.
struct Input {
  const std::uint8_t* data;
  std::size_t size;
};

// Writes what Go recorded next to the crash file and says how to replay it.
inline void write_artifacts(const Recording& go, const Input& in) {
  const std::string base =
      !g_exact_artifact.empty() ? g_exact_artifact : g_artifact_prefix + "crash-" + sha1_hex(in.data, in.size);
  std::ofstream(base + ".trace") << go.trace;
  std::ofstream(base + ".expected") << go.expected;
  std::fprintf(stderr, "Go's trace and output: %s.trace %s.expected\nreplay: bucketmap-replay %s.trace | diff - %s.expected\n",
               base.c_str(), base.c_str(), base.c_str(), base.c_str());
  // The layout viewer opens at the first dump that differs from Go's (tools/README.md).
  std::fprintf(stderr, "viewer: bucketmap-replay --html %s.html --expected %s.expected %s.trace\n", base.c_str(),
               base.c_str(), base.c_str());
}

// LLVMFuzzerInitialize of every go_layout target: where crash files go.
inline void initialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    const std::string_view a = (*argv)[i];
    if (a.rfind("-artifact_prefix=", 0) == 0) g_artifact_prefix = a.substr(17);
    if (a.rfind("-exact_artifact_path=", 0) == 0) g_exact_artifact = a.substr(21);
  }
}

// LLVMFuzzerTestOneInput of target `target` (its options in targets.h).
inline void test_one(const char* target, const std::uint8_t* data, std::size_t size) {
  static trace::Program p;  // reused: its vectors keep their capacity
  static const DecodeOptions opt = *options_for(target);
  static const std::string where = std::string("fuzz target ") + target;
  decode(data, size, opt, p);
  const Lockstep run = run_lockstep(p, where.c_str());
  if (!run.passed()) {
    std::fputs(run.failure.c_str(), stderr);
    if (run.go.status == 0) write_artifacts(run.go, Input{data, size});
    std::fflush(stderr);
    std::abort();
  }
  RunTally::get().add(target, run.stats);  // TOPHASH_STATS_FILE
}

}  // namespace tophash::fuzz::go_layout

// The libFuzzer entry points of go_layout target NAME (its options in
// targets.h): each target's source is this one line.
#define TOPHASH_GO_LAYOUT_TARGET(NAME)                                                 \
  extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {                      \
    tophash::fuzz::go_layout::initialize(argc, argv);                                  \
    return 0;                                                                          \
  }                                                                                    \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    tophash::fuzz::go_layout::test_one(NAME, data, size);                              \
    return 0;                                                                          \
  }
