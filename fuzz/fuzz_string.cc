// Fuzz target "string" (options in targets.h).
#include "program_target.h"

TOPHASH_PROGRAM_TARGET("string")
