// Fuzz target "u64_real" (options in targets.h).
#include "program_target.h"

TOPHASH_PROGRAM_TARGET("u64_real")
