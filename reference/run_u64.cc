// The lockstep executor for programs with `keys u64` (executor_run.h).
#include "executor_run.h"

TOPHASH_INSTANTIATE_RUN(tophash::trace::KeyType::kU64)
