// The lockstep executor for programs with `keys double` (executor_run.h).
#include "executor_run.h"

namespace tophash::reference {
template void run_program<trace::KeyType::kDouble>(const trace::Program&, const ExecOptions&, Verdict&);
}  // namespace tophash::reference
