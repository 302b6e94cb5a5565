// The lockstep executor for programs with `keys string` (executor_run.h).
#include "executor_run.h"

TOPHASH_INSTANTIATE_RUN(tophash::trace::KeyType::kString)
