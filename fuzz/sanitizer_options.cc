// Default sanitizer options of every fuzz target (the environment's
// ASAN_OPTIONS still override them). A fuzz run allocates and frees the
// same few kilobytes millions of times: ASan's default 256 MB quarantine
// would keep touching fresh pages (a third of the run spent in page
// faults). 32 MB still holds every block one program frees, so a use
// after free within a run is caught all the same.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=32"; }
