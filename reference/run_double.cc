// The lockstep executor for programs with `keys double` (executor_run.h).
#include "executor_run.h"

TOPHASH_INSTANTIATE_RUN(tophash::trace::KeyType::kDouble)
