// Fuzz target "go_layout_string": BucketMap held to the real Go 1.19 map[string]uint64,
// layout and all; see go_layout.h.
#include "go_layout.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  tophash::fuzz::go_layout::initialize(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tophash::fuzz::go_layout::test_one("go_layout_string", data, size);
  return 0;
}
