// Fuzz target "u64_tiny" (options in targets.h).
#include "program_target.h"

TOPHASH_PROGRAM_TARGET("u64_tiny")
