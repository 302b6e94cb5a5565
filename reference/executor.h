// reference/executor.h: runs one Program on BucketMap and, in lockstep, on
// the model (model.h), checking every result, the iteration contract
// (iter_oracle.h) and the map's invariants (invariants.h) after every op.
// Fuzz targets, properties and bucketmap-replay all come through here: a
// Program -> execute() -> a Verdict.
//
//   trace::Program p = ...;                       // parsed, decoded or generated
//   reference::Verdict v = reference::execute(p);
//   if (!v.ok()) std::cerr << reference::describe(p, v);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "trace.h"

namespace tophash::reference {

struct ExecOptions {
  // Run the model, the iteration oracle and the lockstep comparisons. Off,
  // the executor is a plain replayer (bucketmap-replay's default).
  bool lockstep = true;
  // Check the invariants after every op: the buckets the op touched (in
  // its key's chain the slots and that key, the old buckets it evacuated
  // and the new ones they fed, in full) after every op; the whole table before and after ops that rebuild it
  // (clear, reserve, shrink_to_fit: before, unless checked since the last
  // op, so a rebuild cannot hide what an earlier op broke), at the end,
  // and periodically: every max(full_check_period, total_buckets /
  // full_check_spread) ops, so the whole-table checks cost about
  // full_check_spread buckets per op on big tables and no more than one
  // per full_check_period ops on small ones.
  // A failure found by a periodic check is pinned to its op: the program
  // runs again with the whole table checked after every op
  // (full_check_period 1, full_check_spread 0), and that run's report is
  // the one given.
  bool invariants = true;
  std::size_t full_check_period = 32;
  std::size_t full_check_spread = 2;  // 0: every op
  // Replay output (reference/trace-format.md: get, len, next, dump lines), if wanted.
  std::string* output = nullptr;
  // Largest bucket array a hint or reserve may ask for; a program that
  // needs more stops with an error rather than exhausting memory.
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  // A drain stops (as a failure) after this many steps: a correct
  // iterator ends long before.
  std::size_t max_drain = std::size_t{1} << 22;
};

// What a run saw, beyond pass or fail.
struct ExecStats {
  std::size_t ops = 0;            // ops executed
  std::size_t full_checks = 0;    // whole-table invariant checks
  std::size_t go59411 = 0;        // yields of keys a clear() removed (golang/go#59411), not failures
  // Go 1.19's other iteration exceptions the oracle accepted (iter_oracle.h), not failures:
  std::size_t go_stale_array = 0;  // R7, R12: second yields through stale key copies after a reseed
  std::size_t go_filter = 0;       // R9, R11: entries the old-bucket filter let through twice or skipped
  std::size_t go_clear_mark = 0;   // R10: second yields through the end mark a clear reset
  unsigned max_B = 0;
  bool grew = false;              // a doubling growth started
  bool same_size_grew = false;    // a same-size growth started
  bool iterated_while_growing = false;  // an iterator stepped while the map was growing
  bool iterator_saw_growth = false;     // a growth started while an iterator was open
};

struct Failure {
  std::string check;       // which check failed (stable short name)
  std::string detail;      // what was seen
  std::size_t op_index;    // the failing op (index into Program::ops)
  std::string layout;      // the layout dump right after the failing op
};

struct Verdict {
  std::optional<Failure> failure;     // a check failed
  std::optional<trace::ParseError> error;  // the program could not be run on (e.g. too big)
  ExecStats stats;
  bool ok() const { return !failure; }
};

Verdict execute(const trace::Program& p, const ExecOptions& opt = {});

// A failure as a person reads it: the check, what was seen, the program as
// a trace up to the failing op, the layout dump at that step.
std::string describe(const trace::Program& p, const Verdict& v);

}  // namespace tophash::reference
