// The lockstep executor for programs with `values wide` (wide.h,
// executor_run.h).
#include "wide.h"

#include "executor_run.h"

TOPHASH_INSTANTIATE_RUN(tophash::reference::kWideValues)
