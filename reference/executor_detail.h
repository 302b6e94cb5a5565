// reference/executor_detail.h: what executor.cc needs of the per-key-type
// executor (executor_run.h), which run_<type>.cc instantiates: the whole
// program at once, or a Stepper behind Execution.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "executor.h"
#include "trace.h"

namespace tophash::reference::exec_detail {

// One program's run, one op at a time, for one key type.
class Stepper {
 public:
  virtual ~Stepper() = default;
  // Op i (the one after the last stepped); false once the run has stopped
  // (the verdict failed or refused).
  virtual bool step(std::size_t i) = 0;
  // The end-of-program checks; false if they failed.
  virtual bool finish() = 0;
  virtual std::string layout() const = 0;
  // Execution::inspect: false when the run has no map (or is gone).
  virtual bool inspect(Inspector& v) const = 0;
};

template <trace::KeyType T>
void run_program(const trace::Program& p, const ExecOptions& opt, Verdict& v);

// `opt` and `v` outlive the stepper.
template <trace::KeyType T>
std::unique_ptr<Stepper> make_stepper(const trace::Program& p, const ExecOptions& opt, Verdict& v);

}  // namespace tophash::reference::exec_detail
