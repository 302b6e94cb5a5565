// fuzz/decode.h: Programs from fuzz bytes, in the spirit of Go's
// internal/runtime/maps FuzzTable: a short header, then a flat array of
// fixed-size commands. Every byte string decodes to a valid Program (a
// short header is padded with zeros, a trailing partial command and
// unknown opcodes are skipped), and a small change to the bytes is a small
// change to the program: one byte is one key, one value or one opcode.
//
// Header (4 bytes):
//   h0  hint: below 0x80 none, else `hint (h0 & 0x7f) * 2`
//   h1  hash mode, where the target allows both: bit 0 set = tiny hash
//       with 1 + ((h1 >> 1) & 15) distinct values, else the real hasher;
//       bit 7 set (where DecodeOptions::api): the C++ API's commands
//       (erase_if, deleting through an iterator, copy/move/swap/use of
//       several maps, the insert family and lookups) take the opcodes that
//       are skipped otherwise. Inputs without it decode as they always
//       have (corpus/decoded-programs.txt pins that).
//   h2 h3  16-bit seed, spread to the map's 64-bit seed
// Commands (4 bytes each): OP X Y Z. OP & 31 is the opcode (table in
// decode.cc; unknown ones are skipped), (OP >> 5) & 3 names iterator
// i0..i3. Keys are ids (X, or X | Y << 8 for the wide forms) mapped to the
// target's key type (key_for_id); values are ids Y | Z << 8.
#pragma once

#include <cstddef>
#include <cstdint>

#include "trace.h"

namespace tophash::fuzz {

struct DecodeOptions {
  trace::KeyType keys = trace::KeyType::kU64;
  bool real_hash = true;   // the real hasher is allowed
  bool tiny_hash = false;  // the tiny hash is allowed (both: h1 bit 0 chooses)
  bool iteration_heavy = false;  // an opcode table biased to iterators
  bool api = true;  // h1 bit 7 turns the C++ API's commands on (off: the Go-in-the-loop targets)
  std::size_t max_ops = std::size_t{1} << 14;  // after expanding ranges
};

// Decodes into `out` (cleared first; its capacity is reused).
void decode(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt, trace::Program& out);
trace::Program decode(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);

// The key repr a key id names, for a program of key type keys (strings are
// interned into p). Exposed so generators (properties/) share the mapping.
std::uint64_t key_for_id(trace::Program& p, std::uint32_t id);
std::uint64_t value_for_id(trace::Program& p, std::uint32_t id);

}  // namespace tophash::fuzz
