// A real Go 1.19 map beside BucketMap, in this process: RapidCheck writes
// programs in the fuzz byte format (fuzz/decode.h, decoded with the
// go_layout targets' options, fuzz/targets.h: u64, string or double keys,
// NaNs among the doubles, hints, at most 512 ops; u64 keys also with
// 136-byte values, `values wide`), and each runs through
// the lockstep core of the go_layout fuzz targets (fuzz/go/go_lockstep.h):
// every op on a Go map[K]uint64 and on BucketMap, the two canonical layout
// dumps compared after every op. A failure shrinks to the fewest commands
// and prints the op, Go's line and ours, the trace up to that op and both
// layouts there.
//
// Guards: where a key sits, which no model-based property sees: a new key
// in the wrong empty slot, a wrong tophash byte, a wrong B for a hint, a
// same-size growth at the wrong overflow count (mutants/layout-*.patch).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "decode.h"
#include "go_lockstep.h"
#include "targets.h"
#include "test_name.h"
#include "watchdog.h"

namespace tophash::properties {
namespace {

using Bytes = std::array<std::uint8_t, 4>;

rc::Gen<std::uint8_t> byte_in(int lo, int hi) {
  return rc::gen::map(rc::gen::inRange(lo, hi), [](int b) { return static_cast<std::uint8_t>(b); });
}

// A key id byte: mostly few keys (collisions in a bucket, deletes that find
// what was put, tombstones reused), sometimes all 256.
rc::Gen<std::uint8_t> key_byte() {
  return rc::gen::weightedOneOf<std::uint8_t>({{3, byte_in(0, 16)}, {2, byte_in(0, 64)}, {1, byte_in(0, 256)}});
}

// The 4-byte header: no hint half the time, else `hint 2n` for n < 128;
// the real hasher (h1 0); a 16-bit seed.
rc::Gen<Bytes> header_gen() {
  const auto hint = rc::gen::weightedOneOf<std::uint8_t>({{1, rc::gen::just<std::uint8_t>(0)}, {1, byte_in(0x80, 0x100)}});
  return rc::gen::apply([](std::uint8_t h0, std::uint8_t h2, std::uint8_t h3) { return Bytes{h0, 0, h2, h3}; },
                        hint, byte_in(0, 256), byte_in(0, 256));
}

// One command OP X Y Z: any opcode and iterator (decode.cc weighs the
// opcodes), X a key id, Y and Z values, counts and the wide keys' high byte.
rc::Gen<Bytes> command_gen() {
  return rc::gen::apply([](std::uint8_t op, std::uint8_t x, std::uint8_t y,
                           std::uint8_t z) { return Bytes{op, x, y, z}; },
                        byte_in(0, 256), key_byte(), byte_in(0, 256), byte_in(0, 256));
}

// A random program of fuzz target `target`'s key type (with 136-byte
// values if `wide`) on Go and on BucketMap, their layouts compared after
// every op.
void check(const char* target, bool wide = false) {
  CaseClock clock(test_name());
  const Bytes header = *header_gen();
  const auto commands = *rc::gen::scale(3, rc::gen::container<std::vector<Bytes>>(command_gen()));
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  for (const Bytes& c : commands) bytes.insert(bytes.end(), c.begin(), c.end());
  trace::Program p = fuzz::decode(bytes.data(), bytes.size(), *fuzz::options_for(target));
  p.config.wide_values = wide;
  Executing executing(p);
  const fuzz::go_layout::Lockstep run = fuzz::go_layout::run_lockstep(p, ("property " + test_name()).c_str());
  RC_PRE(run.refusal.empty());  // Go did not reproduce its own recording: no verdict (go_lockstep.h)
  if (!run.passed()) RC_FAIL(run.failure);
}

RC_GTEST_PROP(GoLockstep, U64Keys, ()) { check("go_layout"); }

RC_GTEST_PROP(GoLockstep, StringKeys, ()) { check("go_layout_string"); }

// NaN keys (key ids 2 and 3): Go hashes each afresh, the recording pins it.
RC_GTEST_PROP(GoLockstep, DoubleKeys, ()) { check("go_layout_double"); }

// `values wide` (reference/wide.h): Go stores the values indirectly, its
// buckets hold pointers, evacuation unlinks old overflow chains.
RC_GTEST_PROP(GoLockstep, U64KeysWideValues, ()) { check("go_layout", true); }

}  // namespace
}  // namespace tophash::properties
