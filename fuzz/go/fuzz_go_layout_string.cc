// Fuzz target "go_layout_string": BucketMap held to the real Go 1.19 map[string]uint64,
// layout and all; see go_layout.h.
#include "go_layout.h"

TOPHASH_GO_LAYOUT_TARGET("go_layout_string")
