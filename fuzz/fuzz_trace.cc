// Fuzz target "trace": bucketmap-replay's parser and replayer on any text.
// Any input must end in output or an error, never a crash or a hang; what
// parses must print back to the same program; and it must pass the
// lockstep checks (the executor refuses, as an error, a trace that changes
// the hash of a key while the key is in the map).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "executor.h"
#include "program_target.h"
#include "trace.h"

namespace {

[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n==== tophash: %s in fuzz target trace ====\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tophash;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const trace::ParseResult parsed = trace::parse_trace(text);

  const std::string printed = trace::print_trace(parsed.program);
  const trace::ParseResult again = trace::parse_trace(printed);
  if (again.error || !again.program.same_as(parsed.program)) {
    die("print/parse round trip failed",
        "printed:\n" + printed + (again.error ? "error: line " + std::to_string(again.error->line) + ": " + again.error->what : ""));
  }

  std::string out;
  reference::ExecOptions opt;
  opt.output = &out;
  opt.max_bytes = std::uint64_t{1} << 20;  // small arrays: fast and no memory blow-up
  opt.max_drain = 1 << 16;
  const reference::Verdict v = reference::execute(parsed.program, opt);
  fuzz::RunTally::get().add("trace", v.stats);
  if (v.failure()) die("check failed", reference::describe(parsed.program, v));
  return 0;
}
