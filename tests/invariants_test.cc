// The invariant checker (reference/invariants.h) on maps corrupted by
// hand, for the checks that no planted bug of mutants/ reaches: a key
// stored twice in one chain, found by the whole-table check (short chains
// pairwise, long ones sorted) and by the check of an op's own chain.
#include <gtest/gtest.h>

#include <string>

#include "check.h"
#include "invariants.h"
#include "test_util.h"
#include "tophash/debug.h"

namespace tophash::testing {
namespace {

using A = debug::BucketMapAccess;

// n keys 1..n, all with one hash: one chain of bucket 0, one tophash.
PinnedMap one_chain(const std::shared_ptr<Pins>& pins, std::uint64_t n) {
  for (std::uint64_t k = 1; k <= n + 1; ++k) pins->pin(k, 0x77, 0);
  PinnedMap m = make_pinned(pins);
  for (std::uint64_t k = 1; k <= n; ++k) m.insert_or_assign(k, k * 10);
  return m;
}

// The chain slot that holds `key` (bucket 0's chain), for writing.
std::uint64_t* slot_of(PinnedMap& m, std::uint64_t key) {
  using Bucket = internal::Bucket<std::uint64_t, std::uint64_t>;
  for (auto* b = const_cast<Bucket*>(A::buckets(m)->bucket(0)); b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < internal::kBucketCnt; ++i) {
      if (internal::is_filled(b->tophash[i]) && b->key_ref(i) == key) return b->key(i);
    }
  }
  return nullptr;
}

std::string check_all(const PinnedMap& m) {
  try {
    reference::InvariantChecker<PinnedMap>(m).check_all();
  } catch (const reference::CheckFailure& f) {
    return f.check;
  }
  return "ok";
}

TEST(Invariants, ADuplicateKeyInAShortChainIsFound) {
  auto pins = std::make_shared<Pins>();
  PinnedMap m = one_chain(pins, 12);
  ASSERT_EQ(check_all(m), "ok");
  *slot_of(m, 9) = 3;  // key 3 now twice, same hash and tophash
  EXPECT_EQ(check_all(m), "invariant: duplicate key");
}

TEST(Invariants, ADuplicateKeyInALongChainIsFound) {
  auto pins = std::make_shared<Pins>();
  PinnedMap m = one_chain(pins, 100);  // same-size growth keeps it one chain
  ASSERT_EQ(check_all(m), "ok");
  ASSERT_GT(A::noverflow(m), 4u);
  *slot_of(m, 97) = 2;
  EXPECT_EQ(check_all(m), "invariant: duplicate key");
}

TEST(Invariants, ADuplicateOfTheOpsKeyIsFoundInItsChain) {
  auto pins = std::make_shared<Pins>();
  PinnedMap m = one_chain(pins, 20);
  ASSERT_FALSE(A::growing(m));  // so the op's chain is checked on its own (focus), not as fed by an old bucket
  reference::InvariantChecker<PinnedMap> inv(m);
  const auto before = inv.before();
  const std::uint64_t key = 5, hash = A::hash(m, key);
  EXPECT_NO_THROW(inv.check_touched(before, hash, &key));
  *slot_of(m, 17) = key;
  std::string failed = "ok";
  try {
    inv.check_touched(before, hash, &key);
  } catch (const reference::CheckFailure& f) {
    failed = f.check;
  }
  EXPECT_EQ(failed, "invariant: duplicate key");
}

}  // namespace
}  // namespace tophash::testing
