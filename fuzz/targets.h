// fuzz/targets.h: how each fuzz target decodes its bytes (the list of
// targets is fuzz/targets.txt).
// Shared by the libFuzzer entry points and fuzz-decode, so a crash input
// always decodes to the same Program the target ran.
#pragma once

#include <optional>
#include <string_view>

#include "decode.h"

namespace tophash::fuzz {

// nullopt for the trace target (text, not bytes) and unknown names.
inline std::optional<DecodeOptions> options_for(std::string_view target) {
  using trace::KeyType;
  DecodeOptions o;
  if (target == "u64_real") {
    o.keys = KeyType::kU64;
  } else if (target == "u64_tiny") {
    o.keys = KeyType::kU64;
    o.real_hash = false;
    o.tiny_hash = true;
  } else if (target == "string") {
    o.keys = KeyType::kString;
    o.tiny_hash = true;
  } else if (target == "double") {
    o.keys = KeyType::kDouble;
    o.tiny_hash = true;
  } else if (target == "counted") {
    o.keys = KeyType::kCounted;
    o.tiny_hash = true;
  } else if (target == "iter") {
    o.keys = KeyType::kU64;
    o.tiny_hash = true;
    o.iteration_heavy = true;
  } else if (target == "go_layout" || target == "go_layout_string" || target == "go_layout_double") {
    // map[uint64]uint64, map[string]uint64 or map[float64]uint64 held to Go
    // (fuzz/go/go_layout.h). Go's hashes are pinned into the program, so
    // the hash mode is moot; every op is followed by a dump of the whole
    // table on both sides, so programs are kept short.
    o.keys = target == "go_layout_string"   ? KeyType::kString
             : target == "go_layout_double" ? KeyType::kDouble
                                            : KeyType::kU64;
    o.max_ops = 512;
    o.api = false;  // Go's map has no erase_if, copy, move, swap or insert family
  } else {
    return std::nullopt;
  }
  return o;
}

}  // namespace tophash::fuzz
