// bucketmap-replay: runs a trace (spec/trace-format.md, with the project's
// extensions: tools/README.md) on BucketMap and prints its output.
//
//   bucketmap-replay [--check] [--max-bytes N] [FILE | -]
//
// --check also runs the trace in lockstep on the model with the iteration
// oracle and the invariant checker (reference/executor.h) and reports the
// first failed check on stderr.
//
// Exit status: 0 on success, 2 on a bad trace (`error: line N: ...` on
// stderr, after the output of the lines before it), 3 when --check finds a
// failure, 1 on a usage error.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "executor.h"
#include "replay.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: bucketmap-replay [--check] [--max-bytes N] [FILE | -]\n"
                       "Runs a trace on the Go-compatible bucket map and prints its output;\n"
                       "--check also checks it against the model, Go's iteration contract and\n"
                       "the map's invariants.\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tophash::trace::ReplayOptions opt;
  const char* path = nullptr;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0) {
      check = true;
    } else if (std::strcmp(argv[i], "--max-bytes") == 0 && i + 1 < argc) {
      opt.max_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (path == nullptr && (argv[i][0] != '-' || std::strcmp(argv[i], "-") == 0)) {
      path = argv[i];
    } else {
      return usage();
    }
  }
  std::string text;
  if (path == nullptr || std::strcmp(path, "-") == 0) {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "error: cannot open %s: %s\n", path, std::strerror(errno));
      return 2;
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  auto parsed = tophash::trace::parse_trace(text);
  std::string out;
  tophash::reference::ExecOptions eo;
  eo.lockstep = eo.invariants = check;
  eo.output = &out;
  eo.max_bytes = opt.max_bytes;
  const tophash::reference::Verdict v = tophash::reference::execute(parsed.program, eo);
  auto err = v.error;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (v.failure) {
    std::fputs(tophash::reference::describe(parsed.program, v).c_str(), stderr);
    return 3;
  }
  if (!err && parsed.error) err = parsed.error;
  if (err) {
    std::fprintf(stderr, "error: line %u: %s\n", err->line, err->what.c_str());
    return 2;
  }
  return 0;
}
