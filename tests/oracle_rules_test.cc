// The iteration oracle's rules (reference/iter_oracle.h), one by one, on
// hand-made event sequences, and the filed program that showed rule R7.
// What real Go 1.19 does for each rule is shown by tests/go-rules.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "executor.h"
#include "iter_oracle.h"
#include "trace.h"

namespace tophash::testing {
namespace {

using reference::CheckFailure;
using reference::IterOracle;
using reference::MapPhase;
using Dev = IterOracle::Deviation;

constexpr MapPhase kStill{3, false, false};   // B 3, not growing: the iterator's B
constexpr MapPhase kGrowing{3, true, true};   // B 3, a same-size growth under way
constexpr MapPhase kDoubling{3, true, false};  // B 3, a doubling under way (the iterator's B is the new one)

// An oracle over a map holding keys 1..4 (value = key * 10), started at B 3.
class Oracle : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::uint64_t k = 1; k <= 4; ++k) model.put(k, k, k * 10, false);
    o.start(model, kStill);
  }
  Dev yield(std::uint64_t k, MapPhase now, std::uint64_t value = 0) {
    return o.yield(k, k, value != 0 ? value : k * 10, true, false, now, 0, model, fmt);
  }
  // The check a yield fails, or "" when it passes.
  std::string failure(std::uint64_t k, MapPhase now) {
    try {
      yield(k, now);
    } catch (const CheckFailure& f) {
      return f.check + ": " + f.detail;
    }
    return "";
  }
  // A first yield passes, a second of the same entry fails.
  void expect_no_repeat(std::uint64_t k, MapPhase now) {
    EXPECT_EQ(yield(k, now), Dev::kNone);
    EXPECT_NE(failure(k, now), "") << "a repeat was accepted";
  }
  // The events of the R7 situation: a growth, a reseed, a second growth.
  void stale_regime() {
    o.on_growth_start(true);
    o.on_reseed();
    o.on_growth_start(true);
  }

  reference::Model model;
  IterOracle o;
  IterOracle::Format fmt = [](std::uint64_t id) { return std::to_string(id); };
};

TEST_F(Oracle, R3SecondYieldFailsOutsideTheStaleArraySituation) {
  EXPECT_EQ(yield(1, kStill), Dev::kNone);
  EXPECT_NE(failure(1, kStill).find("iteration: yielded twice"), std::string::npos);
}

TEST_F(Oracle, R3DeleteAndReAddMakesANewEntry) {
  EXPECT_EQ(yield(1, kStill), Dev::kNone);
  o.on_erase(1);
  EXPECT_EQ(yield(1, kStill), Dev::kNone);
}

TEST_F(Oracle, R7AcceptsOneSecondYieldAfterGrowthReseedGrowth) {
  stale_regime();
  EXPECT_EQ(yield(2, kGrowing), Dev::kNone);
  // Two growths since the start: its own array, each growth's old array,
  // and (not here) the old array it started in: at most four.
  EXPECT_EQ(yield(2, kGrowing), Dev::kStaleCopy);
  EXPECT_EQ(yield(2, kGrowing), Dev::kStaleCopy);
  EXPECT_EQ(yield(2, kGrowing), Dev::kStaleCopy);
  EXPECT_NE(failure(2, kGrowing).find("yielded 5 times"), std::string::npos);
}

TEST_F(Oracle, R7StaleFirstYieldThenTheGrowthEnds) {
  stale_regime();
  EXPECT_EQ(yield(2, kGrowing), Dev::kNone);
  // The second growth is done; the iterator walks its own array again and
  // looks the stale slot's key up: the same entry a second time.
  EXPECT_EQ(yield(2, kStill), Dev::kStaleCopy);
}

TEST_F(Oracle, R7BothYieldsAfterTheStalePathWasTaken) {
  // A step on the stale path leaves it standing in h.oldbuckets' chain;
  // the growth ends and the rest of that chain, then its own array, are
  // walked with no growth under way.
  stale_regime();
  o.on_step(kGrowing);
  EXPECT_EQ(yield(2, kStill), Dev::kNone);
  EXPECT_EQ(yield(2, kStill), Dev::kStaleCopy);
}

TEST_F(Oracle, R7NeedsAReseed) {
  // Without a reseed a key keeps its bucket index through same-size
  // growths, and each index is visited once.
  o.on_growth_start(true);
  o.on_growth_start(true);
  expect_no_repeat(1, kGrowing);
}

TEST_F(Oracle, R7NeedsTheReseedAfterTheFirstGrowthBegan) {
  // Reseeded before: the iterator's array already holds the new seed's
  // layout, which the growths only carry along.
  o.on_reseed();
  o.on_growth_start(true);
  o.on_growth_start(true);
  expect_no_repeat(1, kGrowing);
}

TEST_F(Oracle, R7NeedsTwoGrowths) {
  // One growth since the start: h.oldbuckets is the iterator's own array,
  // the growth path reads the right one.
  o.on_growth_start(true);
  o.on_reseed();
  expect_no_repeat(1, kGrowing);
}

TEST_F(Oracle, R7NeedsTheStalePathTaken) {
  // Both yields while the map is not growing: the iterator read only its
  // own array, which holds an entry once.
  stale_regime();
  expect_no_repeat(1, kStill);
}

TEST_F(Oracle, R7NotAfterADoubling) {
  // it.B != h.B: the growth path is never taken again.
  stale_regime();
  const MapPhase doubled{4, true, false};
  expect_no_repeat(1, doubled);
}

TEST_F(Oracle, R7NotAfterARebuild) {
  // reserve and shrink_to_fit end the growth path for open iterators.
  stale_regime();
  o.on_rebuild();
  expect_no_repeat(1, kGrowing);
}

TEST_F(Oracle, R7SecondYieldStillCarriesTheCurrentValue) {
  // R4 holds for the repeated yield: it is looked up in the live map.
  stale_regime();
  EXPECT_EQ(yield(3, kGrowing), Dev::kNone);
  try {
    yield(3, kGrowing, 999);
    FAIL() << "a stale value was accepted";
  } catch (const CheckFailure& f) {
    EXPECT_EQ(f.check, "iteration: wrong value");
  }
}

TEST_F(Oracle, R9StartedWhileDoublingThenASameSizeGrowth) {
  IterOracle d;  // initialised while the map doubles
  d.start(model, kDoubling);
  d.on_growth_start(false);  // another doubling: no window
  EXPECT_EQ(d.yield(1, 1, 10, true, false, kStill, 0, model, fmt), Dev::kNone);
  EXPECT_THROW(d.yield(1, 1, 10, true, false, kStill, 0, model, fmt), CheckFailure);
  d.on_growth_start(true);  // a same-size growth: the filter can be dropped mid-chain
  EXPECT_EQ(d.yield(2, 2, 20, true, false, kGrowing, 0, model, fmt), Dev::kNone);
  EXPECT_EQ(d.yield(2, 2, 20, true, false, kGrowing, 0, model, fmt), Dev::kFilterDropped);
  EXPECT_THROW(d.yield(2, 2, 20, true, false, kGrowing, 0, model, fmt), CheckFailure) << "R9 repeats once";
}

TEST_F(Oracle, R9NotWhenStartedOutsideADoubling) {
  o.on_growth_start(true);  // started still, then a same-size growth
  expect_no_repeat(1, kGrowing);
}

TEST_F(Oracle, R9NaNEntryOnceMore) {
  IterOracle d;
  model.put(99, 99, 7, true);  // a NaN entry with value 7
  d.start(model, kDoubling);
  d.on_growth_start(true);
  EXPECT_EQ(d.yield(99, 99, 7, true, true, kGrowing, 0, model, fmt), Dev::kNone);
  EXPECT_EQ(d.yield(99, 99, 7, true, true, kGrowing, 0, model, fmt), Dev::kFilterDropped);
  EXPECT_THROW(d.yield(99, 99, 7, true, true, kGrowing, 0, model, fmt), CheckFailure) << "R9 repeats once";
}

TEST_F(Oracle, R10ClearOfAMapWithPreallocatedOverflowBuckets) {
  o.on_clear(model, MapPhase{4, false, false});
  model.clear();
  model.put(5, 5, 11, false);  // a key first put after the clear
  // Its hash names bucket 0 of the iterator's array (B 3): where the mark leads.
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x18, model, fmt), Dev::kNone);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x18, model, fmt), Dev::kClearMark);
}

TEST_F(Oracle, R10OnlyForBucketZero) {
  o.on_clear(model, MapPhase{4, false, false});
  model.clear();
  model.put(5, 5, 11, false);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), Dev::kNone);
  EXPECT_THROW(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), CheckFailure);
}

TEST_F(Oracle, R10NotAfterAGrowth) {
  o.on_growth_start(false);  // the iterator's array is no longer the one a clear resets
  o.on_clear(model, MapPhase{4, false, false});
  model.clear();
  model.put(5, 5, 11, false);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x18, model, fmt), Dev::kNone);
  EXPECT_THROW(o.yield(5, 5, 11, true, false, kStill, 0x18, model, fmt), CheckFailure);
}

TEST_F(Oracle, R12StartedWhileGrowingThenAReseed) {
  IterOracle d;
  d.start(model, kGrowing);
  EXPECT_EQ(d.yield(1, 1, 10, true, false, kStill, 0, model, fmt), Dev::kNone);
  EXPECT_THROW(d.yield(1, 1, 10, true, false, kStill, 0, model, fmt), CheckFailure) << "no reseed yet";
  d.on_reseed();
  EXPECT_EQ(d.yield(2, 2, 20, true, false, kStill, 0, model, fmt), Dev::kNone);
  EXPECT_EQ(d.yield(2, 2, 20, true, false, kStill, 0, model, fmt), Dev::kStaleCopy);
  EXPECT_THROW(d.yield(2, 2, 20, true, false, kStill, 0, model, fmt), CheckFailure) << "no growth since: two copies";
}

TEST_F(Oracle, R12EnteredOnTheStalePath) {
  // Not started in a growth, but a step on R7's stale path leaves it in
  // an old bucket's chain: Go 1.19 repeats entries there too.
  stale_regime();
  o.on_step(kGrowing);
  o.on_step(kStill);  // that growth ends
  EXPECT_EQ(yield(3, kStill), Dev::kNone);
  EXPECT_EQ(yield(3, kStill), Dev::kStaleCopy);
}

TEST_F(Oracle, R10AnyBucketOnceALaterReseedMovedTheKeys) {
  o.on_clear(model, MapPhase{4, false, false});
  model.clear();
  model.put(5, 5, 11, false);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), Dev::kNone);
  EXPECT_THROW(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), CheckFailure);
  o.on_erase(5);
  o.on_reseed();  // emptied: the copy in bucket 0 stays, the key moves
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), Dev::kNone);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0x19, model, fmt), Dev::kClearMark);
}

TEST_F(Oracle, R12NotWhenStartedOutsideAGrowth) {
  o.on_reseed();
  expect_no_repeat(1, kStill);
}

TEST_F(Oracle, R10NotBelowB4) {
  o.on_clear(model, MapPhase{3, false, false});  // no preallocated overflow buckets
  model.clear();
  model.put(5, 5, 11, false);
  EXPECT_EQ(o.yield(5, 5, 11, true, false, kStill, 0, model, fmt), Dev::kNone);
  EXPECT_THROW(o.yield(5, 5, 11, true, false, kStill, 0, model, fmt), CheckFailure);
}

class OracleNaN : public Oracle {
 protected:
  void SetUp() override {
    model.put(99, 99, 7, true);  // a NaN entry, present throughout
  }
  void end_unyielded() { o.end(kStill, fmt); }
};

TEST_F(OracleNaN, R11SameSizeGrowthEndedWhileOpen) {
  o.start(model, kStill);
  o.on_growth_start(true);
  o.on_step(kGrowing);  // a step inside the same-size growth
  o.on_step(kStill);    // the growth has ended
  EXPECT_NO_THROW(end_unyielded());
  EXPECT_EQ(o.nan_skipped(), 1u);
}

TEST_F(OracleNaN, R11NotWhileTheGrowthGoesOn) {
  o.start(model, kStill);
  o.on_growth_start(true);
  o.on_step(kGrowing);
  EXPECT_THROW(o.end(kGrowing, fmt), CheckFailure);
}

TEST_F(OracleNaN, R11NotWithoutAStepInsideIt) {
  o.start(model, kStill);
  o.on_growth_start(true);
  o.on_step(kStill);  // the growth began and ended between two steps
  EXPECT_THROW(end_unyielded(), CheckFailure);
}

TEST_F(Oracle, R6ClearedKeysMayComeBackFromTheOldArray) {
  EXPECT_EQ(yield(1, kStill), Dev::kNone);
  o.on_clear(model, kStill);
  model.clear();
  EXPECT_EQ(yield(1, kStill), Dev::kGo59411);  // not in the map any more
}

TEST_F(Oracle, R1KeyPresentThroughoutMustBeYielded) {
  for (std::uint64_t k = 1; k <= 3; ++k) yield(k, kStill);
  try {
    o.end(kStill, fmt);
    FAIL() << "key 4 was never yielded";
  } catch (const CheckFailure& f) {
    EXPECT_EQ(f.check, "iteration: key never yielded");
  }
}

TEST_F(Oracle, R2DeletedBeforeReachedIsNotYielded) {
  o.on_erase(4);
  model.erase(4, false);
  EXPECT_NE(failure(4, kStill).find("not in the map"), std::string::npos);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A filed trace of a Go 1.19 stale-copy exception (R7, R12): it passes
// every check, the oracle counts only stale-copy deviations, one for each
// entry the replay's output shows yielded a second time (no trace here
// deletes a key between two of its yields).
void expect_stale_copy_yields(const char* file) {
  const auto parsed = trace::parse_trace(slurp(std::string(TOPHASH_ORACLE_TRACES "/") + file));
  ASSERT_FALSE(parsed.error) << parsed.error->what;
  std::string out;
  reference::ExecOptions opt;
  opt.output = &out;
  const reference::Verdict v = reference::execute(parsed.program, opt);
  ASSERT_TRUE(v.passed()) << reference::describe(parsed.program, v);
  EXPECT_EQ(v.stats.go59411 + v.stats.go_filter + v.stats.go_clear_mark, 0u);
  std::map<std::string, int> seen;  // "next ID KEY" -> yields
  std::size_t again = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("next ", 0) != 0 || line.size() < 4 || line.substr(line.size() - 4) == " end") continue;
    if (++seen[line.substr(0, line.rfind(' '))] == 2) ++again;
  }
  EXPECT_GE(again, 1u) << out;
  EXPECT_EQ(v.stats.go_stale_array, again) << out;
}

// The default campaign's false alarm: Go 1.19 yields key 37 twice here too.
TEST(OracleRegression, R7StaleArrayDoubleYieldFromTheDefaultCampaign) {
  expect_stale_copy_yields("r7-stale-array-double-yield.trace");
}

// The soak's false alarms.
TEST(OracleRegression, R7StaleChainAfterTheSecondGrowthEnds) {
  expect_stale_copy_yields("r7-stale-chain-after-growth.trace");
}
TEST(OracleRegression, R12OldBucketAfterClearAndReserve) { expect_stale_copy_yields("r12-clear-reserve.trace"); }
TEST(OracleRegression, R12OldBucketAfterDeletesAndShrink) { expect_stale_copy_yields("r12-delete-shrink.trace"); }

}  // namespace
}  // namespace tophash::testing
