// The lockstep executor for programs with `keys u64` (executor_run.h).
#include "executor_run.h"

namespace tophash::reference {
template void run_program<trace::KeyType::kU64>(const trace::Program&, const ExecOptions&, Verdict&);
}  // namespace tophash::reference
