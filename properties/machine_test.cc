// Stateful model checking: random command sequences against the lockstep
// executor, for each key type and hash mode (program_machine.h). A failure
// shrinks to the fewest commands and prints the program as a trace
// bucketmap-replay runs, with RapidCheck's reproduce parameters.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "program_machine.h"
#include "test_name.h"

namespace tophash::properties {
namespace {

// A random command sequence on a map of `keys` hashed by `mode` (a tiny
// hash with `tiny` values), seeded by RapidCheck's `seed`.
void check(trace::KeyType keys, trace::HashMode mode, std::uint64_t seed, std::uint32_t tiny = 1) {
  trace::Config c;
  c.keys = keys;
  c.hashing = mode;
  c.tiny = tiny;
  c.seed = seed;
  check_machine(c, test_name());
}

// Guards: every rule the executor checks (results against the model,
// tombstone and growth invariants, iteration contract) on the real hasher.
RC_GTEST_PROP(Machine, U64RealHash, (std::uint64_t seed)) {
  check(trace::KeyType::kU64, trace::HashMode::kReal, seed);
}

// Guards: overflow chains, emptyRest across overflow buckets, same-size
// growth and its pace: a tiny hash puts many keys in few buckets (one to
// three hash values most of the time: long chains).
RC_GTEST_PROP(Machine, U64TinyHash, (std::uint64_t seed)) {
  const auto tiny = *rc::gen::weightedOneOf<std::uint32_t>({{3, rc::gen::inRange<std::uint32_t>(1, 4)},
                                                            {1, rc::gen::inRange<std::uint32_t>(4, 9)}});
  check(trace::KeyType::kU64, trace::HashMode::kTiny, seed, tiny);
}

// Guards: use after free and leaks of heap keys in evacuation, iteration
// and delete (under ASan/LSan).
RC_GTEST_PROP(Machine, StringKeys, (std::uint64_t seed)) {
  check(trace::KeyType::kString, trace::HashMode::kReal, seed);
}

// Guards: every key and value constructed is destroyed exactly once.
RC_GTEST_PROP(Machine, CountedKeys, (std::uint64_t seed)) {
  check(trace::KeyType::kCounted, trace::HashMode::kTiny, seed, 3);
}

// Guards: NaN never found, NaNs spread and split by tophash bit with an
// iterator open (iterators started mid-growth filter old buckets by that
// bit), -0 over +0.
RC_GTEST_PROP(Machine, DoubleKeys, (std::uint64_t seed)) {
  check(trace::KeyType::kDouble, trace::HashMode::kReal, seed);
}

}  // namespace
}  // namespace tophash::properties
