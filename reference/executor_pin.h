// reference/executor_pin.h: a whole program through Run<T> (execute()'s
// fast path: one Run on the stack, no virtual calls) or one op at a time
// (Execution's Stepper), both pinning a late failure to its op.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "executor_run.h"

namespace tophash::reference::exec_detail {

// A failure a whole-table check found later than the op that caused it
// (Run::failed_late): run the ops again, up to where the run stopped,
// checking the whole table after every op, so the report names that op
// (the run is deterministic: it fails again, there or before). The failed
// run must be gone first: the thread's workspace and, for counted keys,
// the object counts are the new run's.
template <KeyType T>
[[gnu::noinline, gnu::cold]] void pin_failure(const Program& p, const ExecOptions& opt,
                                                              std::size_t ops_begun, bool finishing, Verdict& v) {
  ExecOptions every = opt;
  every.full_check_period = 1;
  every.full_check_spread = 0;
  Verdict again;
  {
    Run<T> run(p, every, again);
    run.run(ops_begun, finishing);
  }
  if (again.failure()) v = std::move(again);
}

template <KeyType T>
void run_program(const Program& p, const ExecOptions& opt, Verdict& v) {
  bool late = false, finishing = false;
  std::size_t ops_begun = 0;
  {
    Run<T> run(p, opt, v);
    if (run.run(p.ops.size(), true)) return;
    late = run.failed_late();
    ops_begun = run.ops_begun();
    finishing = run.finishing();
  }
  if (late) pin_failure<T>(p, opt, ops_begun, finishing, v);
}

template <KeyType T>
class RunStepper final : public Stepper {
 public:
  RunStepper(const Program& p, const ExecOptions& opt, Verdict& v) : p_(p), opt_(opt), v_(v) {
    run_.emplace(p, opt, v);
  }
  bool step(std::size_t i) override { return run_->step(i) || stopped(); }
  bool finish() override { return run_->finish() || stopped(); }
  std::string layout() const override { return run_ ? run_->layout() : std::string(); }
  bool inspect(Inspector& v) const override { return run_ && run_->inspect(v); }

 private:
  // The run stopped: pin a late failure (the stopped run goes first).
  bool stopped() {
    if (!run_->failed_late()) return false;
    const std::size_t ops_begun = run_->ops_begun();
    const bool finishing = run_->finishing();
    run_.reset();
    pin_failure<T>(p_, opt_, ops_begun, finishing, v_);
    return false;
  }

  const Program& p_;
  const ExecOptions& opt_;
  Verdict& v_;
  std::optional<Run<T>> run_;
};

template <KeyType T>
std::unique_ptr<Stepper> make_stepper(const Program& p, const ExecOptions& opt, Verdict& v) {
  return std::make_unique<RunStepper<T>>(p, opt, v);
}

}  // namespace tophash::reference::exec_detail

// Each run_<type>.cc instantiates its key type's entry points.
#define TOPHASH_INSTANTIATE_RUN(TYPE)                                                                         \
  template void tophash::reference::exec_detail::run_program<TYPE>(                                          \
      const tophash::trace::Program&, const tophash::reference::ExecOptions&, tophash::reference::Verdict&); \
  template std::unique_ptr<tophash::reference::exec_detail::Stepper>                                          \
  tophash::reference::exec_detail::make_stepper<TYPE>(const tophash::trace::Program&,                         \
                                                      const tophash::reference::ExecOptions&,                 \
                                                      tophash::reference::Verdict&);
