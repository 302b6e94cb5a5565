// reference/executor.h: runs one Program on BucketMap and, in lockstep, on
// the model (model.h), checking every result, the iteration contract
// (iter_oracle.h), the map's invariants (invariants.h), when growth starts
// (go_rules.h) and how fast it progresses (growth_pace.h) after every op.
// The parts: executor_run.h (a run: its state, a step, the start and the
// end), executor_ops.h (one handler per op kind; executor_api.h and
// executor_maps.h those of the C++ API and a program's several maps, each
// map with its own model, invariants and pace), executor_checks.h (the
// checks after each op and at the end), executor_pin.h (the whole program,
// or a Stepper; a late failure pinned to its op), probe.h (the map's
// operations, out of line).
// Fuzz targets, properties, bucketmap-replay and the layout viewer all come
// through here; they differ only in how they walk the program.
//
// The whole program at once (fuzz targets, bucketmap-replay, the
// exhaustive checker):
//
//   trace::Program p = ...;                       // parsed, decoded or generated
//   reference::Verdict v = reference::execute(p);
//   if (!v.passed()) std::cerr << reference::describe(p, v);
//
// One op at a time (the properties' state machine, a layout viewer, an
// in-process Go map following the same program):
//
//   reference::Execution e(p, opt);               // p outlives e
//   while (e.next_op() < p.ops.size() && e.step().passed()) {
//     show(e.layout());                           // the map after that op
//   }
//   const reference::Verdict& v = e.finish();     // the end-of-program checks
//
// Between steps a caller may also look at the run's maps and iterators,
// read-only, through inspect (Inspection<T> in executor_run.h): the layout
// viewer draws its pages from it.
//
// Between steps the caller may append ops to p (and the strings and
// iterator names they use: Program::string_index, iter_index); it must not
// change the ops already stepped. Each step runs p.ops[next_op()] and
// every check after it, and says what happened: passed, failed (which
// check, what was seen, the op, the layout) or refused (the program cannot
// be run on). A failure that a periodic whole-table check found later than
// the op that caused it is pinned to that op before the step returns (the
// ops so far run again with the whole table checked after each), so a
// stepping caller and execute() report the same failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <utility>

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
  // Replay output (trace/trace-format.md: get, len, next, dump lines), if wanted.
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
  std::size_t op_index;    // the failing op (index into Program::ops); the last op for the end-of-program checks
  std::string layout;      // the layout dump right after the failing op
};

// What a run (or the steps so far) came to: exactly one outcome.
//   passed   every check held
//   failed   a check failed: failure() says which, where and what was seen
//   refused  the program cannot be run on from some op (a hint that is
//            not first, a hint or reserve over ExecOptions::max_bytes, a
//            pin that changes the hash of a key in the map): refusal()
//            says why, with the op's line; nothing was judged from there
class Verdict {
 public:
  enum class Outcome : std::uint8_t { kPassed, kFailed, kRefused };

  Outcome outcome() const { return static_cast<Outcome>(what_.index()); }
  bool passed() const { return outcome() == Outcome::kPassed; }
  const Failure* failure() const { return std::get_if<Failure>(&what_); }          // null unless failed
  const trace::ParseError* refusal() const { return std::get_if<trace::ParseError>(&what_); }  // null unless refused

  void fail(Failure f) { what_ = std::move(f); }
  void refuse(trace::ParseError e) { what_ = std::move(e); }

  ExecStats stats;  // what the run saw, whatever its outcome

 private:
  std::variant<std::monostate, Failure, trace::ParseError> what_;  // in Outcome's order
};

// The whole program: every op, then the end-of-program checks.
Verdict execute(const trace::Program& p, const ExecOptions& opt = {});

namespace exec_detail {
class Stepper;  // executor_detail.h
}

// Execution::inspect's visitor: called with the run's state for the
// program's key type (Inspection<T>, executor_run.h).
template <trace::KeyType T>
struct Inspection;
// The instantiation of a `values wide` program (keys u64; reference/wide.h):
// a KeyType value that names no key type of the trace language.
inline constexpr trace::KeyType kWideValues = static_cast<trace::KeyType>(0x80);
class Inspector {
 public:
  virtual void visit(const Inspection<trace::KeyType::kU64>&) = 0;
  virtual void visit(const Inspection<trace::KeyType::kString>&) = 0;
  virtual void visit(const Inspection<trace::KeyType::kDouble>&) = 0;
  virtual void visit(const Inspection<trace::KeyType::kCounted>&) = 0;
  virtual void visit(const Inspection<kWideValues>&) = 0;

 protected:
  ~Inspector() = default;
};

// A program run one op at a time (see the top of this file).
class Execution {
 public:
  Execution(const trace::Program& p, const ExecOptions& opt = {});
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Runs p.ops[next_op()] and the checks after it. Once the verdict is not
  // passed, or after finish(), the execution has stopped: step and finish
  // return the verdict unchanged. Stepping past the last op is a
  // std::logic_error.
  const Verdict& step();
  // The end-of-program checks (the whole table, a fresh iteration against
  // the model, lookups of every entry; for counted keys, that every object
  // died with the map), after which the map is gone. Call it after the
  // last op; execute() is every step and then finish().
  const Verdict& finish();

  std::size_t next_op() const { return next_; }
  bool stopped() const { return stopped_; }
  const Verdict& verdict() const { return v_; }
  // The map's layout now (layout.h's canonical dump): empty before the
  // first op and after finish() or a failure (a failure carries its own).
  std::string layout() const;
  // The maps and iterators now, read-only: calls v (or f, any callable
  // taking `const Inspection<T>&`; include executor_run.h) and returns
  // true; false when there are none: before the first op, after finish(),
  // and after a failure pinned to an earlier op by a run again (see the
  // top of this file). After any other failure, the state the check saw.
  bool inspect(Inspector& v) const;
  template <class F>
  bool inspect(F f) const;
  // Changes ExecOptions::max_drain for the steps to come (the properties
  // bound a drain by the puts written so far).
  void set_max_drain(std::size_t steps) { opt_.max_drain = steps; }

 private:
  const trace::Program& p_;
  ExecOptions opt_;
  Verdict v_;
  std::unique_ptr<exec_detail::Stepper> run_;  // refers to opt_ and v_
  std::size_t next_ = 0;
  bool stopped_ = false;
};

template <class F>
bool Execution::inspect(F f) const {
  struct Call final : Inspector {
    explicit Call(F& g) : f(g) {}
    void visit(const Inspection<trace::KeyType::kU64>& s) override { f(s); }
    void visit(const Inspection<trace::KeyType::kString>& s) override { f(s); }
    void visit(const Inspection<trace::KeyType::kDouble>& s) override { f(s); }
    void visit(const Inspection<trace::KeyType::kCounted>& s) override { f(s); }
    void visit(const Inspection<kWideValues>& s) override { f(s); }
    F& f;
  } call(f);
  return inspect(static_cast<Inspector&>(call));
}

// A failure as a person reads it: the check, what was seen, the program as
// a trace up to the failing op, the layout dump at that step. A refusal:
// its line and reason. Empty for a verdict that passed.
std::string describe(const trace::Program& p, const Verdict& v);

}  // namespace tophash::reference
