// The lockstep executor for programs with `keys counted` (executor_run.h).
#include "executor_run.h"

namespace tophash::reference {
template void run_program<trace::KeyType::kCounted>(const trace::Program&, const ExecOptions&, Verdict&);
}  // namespace tophash::reference
