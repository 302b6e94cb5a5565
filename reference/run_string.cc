// The lockstep executor for programs with `keys string` (executor_run.h).
#include "executor_run.h"

namespace tophash::reference {
template void run_program<trace::KeyType::kString>(const trace::Program&, const ExecOptions&, Verdict&);
}  // namespace tophash::reference
