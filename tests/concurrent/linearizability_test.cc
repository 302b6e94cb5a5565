// The linearizability checker and the Range contract check on histories
// written by hand, each small enough to verify on paper.
#include "linearizability.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace {

using tophash::lin::check;
using tophash::lin::check_range;
using tophash::lin::kAbsent;
using tophash::lin::linearizable_from;
using tophash::lin::Op;
using tophash::lin::OpKind;
using tophash::lin::RangeCall;

Op op(OpKind kind, std::uint32_t thread, std::int64_t call, std::int64_t ret, std::uint64_t key,
      std::uint64_t arg = 0, std::uint64_t out = kAbsent, bool ok = false, std::uint64_t expected = 0) {
  Op o;
  o.kind = kind;
  o.thread = thread;
  o.call_ns = call;
  o.return_ns = ret;
  o.key = key;
  o.arg = arg;
  o.out = out;
  o.ok = ok;
  o.expected = expected;
  return o;
}
Op store(std::uint32_t t, std::int64_t c, std::int64_t r, std::uint64_t k, std::uint64_t v) {
  return op(OpKind::kStore, t, c, r, k, v);
}
Op load(std::uint32_t t, std::int64_t c, std::int64_t r, std::uint64_t k, std::uint64_t out) {
  return op(OpKind::kLoad, t, c, r, k, 0, out);
}
Op del(std::uint32_t t, std::int64_t c, std::int64_t r, std::uint64_t k) { return op(OpKind::kDelete, t, c, r, k); }

// ---- the sequential model -----------------------------------------------------

TEST(Model, EachOperationFollowsGo) {
  using tophash::lin::step;
  std::uint64_t next;
  EXPECT_TRUE(step(kAbsent, op(OpKind::kLoadOrStore, 0, 0, 0, 1, 5, 5, false), &next));
  EXPECT_EQ(next, 5u);
  EXPECT_FALSE(step(kAbsent, op(OpKind::kLoadOrStore, 0, 0, 0, 1, 5, 5, true), &next));
  EXPECT_TRUE(step(7, op(OpKind::kLoadOrStore, 0, 0, 0, 1, 5, 7, true), &next));
  EXPECT_EQ(next, 7u);
  EXPECT_TRUE(step(7, op(OpKind::kSwap, 0, 0, 0, 1, 8, 7), &next));
  EXPECT_EQ(next, 8u);
  EXPECT_TRUE(step(7, op(OpKind::kCompareAndSwap, 0, 0, 0, 1, 9, kAbsent, true, 7), &next));
  EXPECT_EQ(next, 9u);
  EXPECT_FALSE(step(7, op(OpKind::kCompareAndSwap, 0, 0, 0, 1, 9, kAbsent, true, 6), &next));
  EXPECT_TRUE(step(kAbsent, op(OpKind::kCompareAndSwap, 0, 0, 0, 1, 9, kAbsent, false, kAbsent), &next));
  EXPECT_EQ(next, kAbsent);
  EXPECT_TRUE(step(7, op(OpKind::kCompareAndDelete, 0, 0, 0, 1, 0, kAbsent, true, 7), &next));
  EXPECT_EQ(next, kAbsent);
  EXPECT_TRUE(step(7, op(OpKind::kLoadAndDelete, 0, 0, 0, 1, 0, 7), &next));
  EXPECT_EQ(next, kAbsent);
  EXPECT_FALSE(step(7, op(OpKind::kLoadAndDelete, 0, 0, 0, 1, 0, kAbsent), &next));
}

// ---- the search ------------------------------------------------------------------

TEST(Search, SequentialHistoryIsCheckedAgainstTheModel) {
  EXPECT_TRUE(check({store(0, 0, 1, 1, 5), load(0, 2, 3, 1, 5)}).linearizable);
  EXPECT_FALSE(check({store(0, 0, 1, 1, 5), load(0, 2, 3, 1, 6)}).linearizable);
  EXPECT_FALSE(check({store(0, 0, 1, 1, 5), load(0, 2, 3, 1, kAbsent)}).linearizable);
}

TEST(Search, OverlappingOperationsMayTakeEffectInEitherOrder) {
  // The load overlaps the store: it may see the key before or after.
  EXPECT_TRUE(check({store(0, 0, 10, 1, 5), load(1, 5, 6, 1, kAbsent)}).linearizable);
  EXPECT_TRUE(check({store(0, 0, 10, 1, 5), load(1, 5, 6, 1, 5)}).linearizable);
}

TEST(Search, TwoReadersMustAgreeOnTheOrderOfTwoWriters) {
  // Stores of 1 and 2 overlap; afterwards one reader sees 1 then 2: only
  // "store 1 last ... no": after both stores returned the value is fixed.
  std::vector<Op> h = {store(0, 0, 10, 1, 1), store(1, 0, 10, 1, 2), load(2, 11, 12, 1, 1),
                       load(2, 13, 14, 1, 2)};
  EXPECT_FALSE(check(h).linearizable);
  // Reads overlapping the stores may see 1 then 2: order store1, read, store2, read.
  h = {store(0, 0, 10, 1, 1), store(1, 0, 10, 1, 2), load(2, 1, 2, 1, 1), load(2, 3, 4, 1, 2)};
  EXPECT_TRUE(check(h).linearizable);
  // But not 2, then 1, then 2 again.
  h.push_back(load(2, 5, 6, 1, 1));
  EXPECT_FALSE(check(h).linearizable);
}

TEST(Search, NeedsBacktracking) {
  // The first choice (store 1 first, as it is called first) fails later:
  // the reader at the end sees 1, so store 1 must be last.
  std::vector<Op> h = {store(0, 0, 10, 1, 1), store(1, 1, 10, 1, 2), load(2, 2, 3, 1, 2),
                       load(2, 11, 12, 1, 1)};
  EXPECT_TRUE(check(h).linearizable);
}

TEST(Search, KeysAreIndependent) {
  std::vector<Op> h = {store(0, 0, 1, 1, 5), store(0, 2, 3, 2, 6), load(1, 4, 5, 1, 5), load(1, 6, 7, 2, 5)};
  auto v = check(h);
  EXPECT_FALSE(v.linearizable);
  EXPECT_EQ(v.keys, 2u);
  EXPECT_NE(v.report.find("key 2: not linearizable"), std::string::npos) << v.report;
  EXPECT_EQ(v.report.find("key 1:"), std::string::npos) << v.report;
}

TEST(Search, InitialStateIsRespected) {
  EXPECT_TRUE(linearizable_from({load(0, 0, 1, 1, 9)}, 9));
  EXPECT_FALSE(linearizable_from({load(0, 0, 1, 1, 9)}, kAbsent));
}

TEST(Search, AnEqualTimestampCountsAsOverlap) {
  // The load is called at the instant the store returns: either order.
  EXPECT_TRUE(check({store(0, 0, 5, 1, 1), load(1, 5, 6, 1, kAbsent)}).linearizable);
}

// ---- the report ------------------------------------------------------------------

TEST(Report, ShowsOnlyTheFailingTailFromTheLastQuiescentMoment) {
  std::vector<Op> h;
  // 50 harmless rounds on key 3, then two racing stores and a lost update.
  std::int64_t t = 0;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    h.push_back(store(0, t, t + 5, 3, i));
    h.push_back(load(1, t + 2, t + 7, 3, i));
    t += 10;
  }
  h.push_back(store(0, t, t + 5, 3, 1000));
  h.push_back(store(2, t + 1, t + 6, 3, 2000));
  h.push_back(load(1, t + 10, t + 15, 3, 50));    // sees a value both stores replaced
  h.push_back(load(1, t + 20, t + 25, 3, 1000));  // after the failure: not shown
  auto v = check(h);
  ASSERT_FALSE(v.linearizable);
  EXPECT_NE(v.report.find("This operation (of the key's 104) has no linearization"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("(1000, 2000)"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("Load(3) -> 50   <- cannot be explained"), std::string::npos) << v.report;
  EXPECT_EQ(v.report.find("Store(3, 1)"), std::string::npos) << v.report;
  EXPECT_EQ(v.report.find("Load(3) -> 1000"), std::string::npos) << v.report;
}

TEST(Report, OpenOperationsStayInThePiece) {
  // The delete is open from before the second store until after the load:
  // no quiescent moment, so the piece starts at the beginning.
  std::vector<Op> h = {store(0, 0, 10, 4, 1), del(1, 5, 30, 4), store(2, 9, 20, 4, 2), load(3, 15, 25, 4, 7)};
  auto v = check(h);
  ASSERT_FALSE(v.linearizable);
  EXPECT_NE(v.report.find("These 4 operations (of the key's 4) have no linearization from the empty map"),
            std::string::npos)
      << v.report;
  EXPECT_NE(v.report.find("Delete(4)   (still open then)"), std::string::npos) << v.report;
}

TEST(Report, AStateSetWhenTheQuiescentMomentFollowsConcurrentWrites) {
  std::vector<Op> h = {store(0, 0, 10, 7, 1), store(1, 0, 10, 7, 2), load(2, 20, 30, 7, 3)};
  auto v = check(h);
  ASSERT_FALSE(v.linearizable);
  EXPECT_NE(v.report.find("(1, 2)"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("This operation (of the key's 3)"), std::string::npos) << v.report;
}

// ---- the Range contract ------------------------------------------------------------

RangeCall range(std::int64_t call, std::int64_t ret, std::vector<std::pair<std::uint64_t, std::uint64_t>> seen) {
  RangeCall r;
  r.thread = 9;
  r.call_ns = call;
  r.return_ns = ret;
  r.seen = std::move(seen);
  return r;
}

TEST(RangeContract, AConsistentSnapshotPasses) {
  std::vector<Op> h = {store(0, 0, 1, 1, 10), store(0, 2, 3, 2, 20)};
  EXPECT_EQ(check_range(range(5, 6, {{2, 20}, {1, 10}}), h), "");
}

TEST(RangeContract, AKeyVisitedTwiceIsReported) {
  std::vector<Op> h = {store(0, 0, 1, 1, 10)};
  EXPECT_NE(check_range(range(5, 6, {{1, 10}, {1, 10}}), h).find("key 1 visited twice"), std::string::npos);
}

TEST(RangeContract, AKeyPresentThroughoutMustBeVisited) {
  std::vector<Op> h = {store(0, 0, 1, 1, 10), store(0, 2, 3, 2, 20)};
  EXPECT_NE(check_range(range(5, 6, {{1, 10}}), h).find("key 2 present throughout"), std::string::npos);
  // Unless a delete may fall inside the call, or the call stopped early.
  h.push_back(del(1, 4, 7, 2));
  EXPECT_EQ(check_range(range(5, 6, {{1, 10}}), h), "");
  h.pop_back();
  RangeCall early = range(5, 6, {{1, 10}});
  early.stopped_early = true;
  EXPECT_EQ(check_range(early, h), "");
}

TEST(RangeContract, AValueMustBeCurrentAtSomeMomentOfTheCall) {
  std::vector<Op> h = {store(0, 0, 1, 1, 10), store(0, 2, 3, 1, 11), store(0, 8, 9, 1, 12)};
  // 10 was replaced before the call began.
  EXPECT_NE(check_range(range(5, 6, {{1, 10}}), h).find("never held"), std::string::npos);
  // 12 was stored only after the call returned.
  EXPECT_NE(check_range(range(5, 6, {{1, 12}}), h).find("never held"), std::string::npos);
  EXPECT_EQ(check_range(range(5, 6, {{1, 11}}), h), "");
  // A store overlapping the call may or may not be seen.
  EXPECT_EQ(check_range(range(5, 8, {{1, 12}}), h), "");
  EXPECT_EQ(check_range(range(5, 8, {{1, 11}}), h), "");
  // A value deleted before the call began is not current.
  h.push_back(del(1, 4, 4, 1));
  EXPECT_NE(check_range(range(5, 6, {{1, 11}}), h).find("never held"), std::string::npos);
}

// ---- speed -----------------------------------------------------------------------

// A random linearizable history: a sequential run on a model, each op's
// interval widened so that up to four overlap. Reports ops checked per
// second, and fails if the checker rejects a history that is linearizable
// by construction.
TEST(Speed, CheckerThroughputOnLinearizableHistories) {
  std::mt19937_64 rng(42);
  std::vector<Op> h;
  std::vector<std::uint64_t> state(64, kAbsent);
  std::uint64_t next_value = 1;
  for (std::int64_t i = 0; i < 200000; ++i) {
    const std::uint64_t k = rng() % 64;
    const std::int64_t point = i * 10;
    Op o;
    o.key = k;
    o.thread = static_cast<std::uint32_t>(rng() % 4);
    o.call_ns = point - static_cast<std::int64_t>(rng() % 30);
    o.return_ns = point + static_cast<std::int64_t>(rng() % 30);
    switch (rng() % 4) {
      case 0:
        o.kind = OpKind::kLoad;
        o.out = state[k];
        break;
      case 1:
        o.kind = OpKind::kStore;
        o.arg = state[k] = next_value++;
        break;
      case 2:
        o.kind = OpKind::kLoadAndDelete;
        o.out = state[k];
        state[k] = kAbsent;
        break;
      default:
        o.kind = OpKind::kCompareAndSwap;
        o.expected = state[k] == kAbsent ? 0 : state[k];
        o.ok = state[k] != kAbsent;
        o.arg = next_value++;
        if (o.ok) state[k] = o.arg;
        break;
    }
    h.push_back(o);
  }
  const auto start = std::chrono::steady_clock::now();
  auto v = check(h);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(v.linearizable) << v.report;
  std::printf("checked %zu ops on %zu keys in %.3f s: %.0f ops/s\n", v.ops, v.keys, secs, v.ops / secs);
  RecordProperty("ops_per_second", static_cast<int>(v.ops / secs));
}

}  // namespace
