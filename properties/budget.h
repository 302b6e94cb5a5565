// properties/budget.h: the executor's options for generated programs.
#pragma once

#include <cstddef>

#include "executor.h"
#include "trace.h"

namespace tophash::properties {

// A correct iterator yields each entry about once (twice in Go's stale
// array case); a drain that runs far past the puts before it does not
// end, and fails as such (ExecOptions::max_drain) rather than running on.
inline std::size_t drain_budget(std::size_t puts) { return 4 * puts + 64; }

inline reference::ExecOptions budgeted_options(const trace::Program& p) {
  reference::ExecOptions opt;
  std::size_t puts = 0;
  for (const trace::Op& op : p.ops) puts += op.kind == trace::OpKind::kPut;
  opt.max_drain = drain_budget(puts);
  return opt;
}

}  // namespace tophash::properties
