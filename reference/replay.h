// reference/replay.h: runs a trace Program on BucketMap and produces the
// output the trace spec defines: u64 keys with pinned hashes in the core
// language, any key type and hash mode with the extensions (trace.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "trace.h"

namespace tophash::trace {

struct ReplayOptions {
  // Largest bucket array a hint or reserve may ask for; a trace that needs
  // more is refused with an error rather than exhausting memory.
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
};

// Appends the output of each op to `out`. Returns an error (with its line)
// if the program cannot be run, after the output of the ops before it.
std::optional<ParseError> replay(const Program& p, std::string& out, const ReplayOptions& opt = {});

}  // namespace tophash::trace
