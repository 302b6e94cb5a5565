// The step report of bucketmap-replay --check (replay_explain.h). The map
// under test is the real one, which passes every check, so each failure
// here is stated by hand (a Verdict naming a check and an op); what is
// tested is that the report gives the right op, the map's and the model's
// results for it, the history of its key and the layout before it.
#include "replay_explain.h"

#include <gtest/gtest.h>

#include <string>

#include "executor.h"
#include "trace.h"

namespace tophash::tools {
namespace {

trace::Program parse(const std::string& text) {
  auto r = trace::parse_trace(text);
  EXPECT_FALSE(r.error) << r.error->what;
  return r.program;
}

// The replay output (get, next, dump lines) of the first n ops.
std::string output_of(const trace::Program& p, std::size_t n) {
  trace::Program q = p;
  q.ops.resize(n);
  std::string out;
  reference::ExecOptions eo;
  eo.output = &out;
  EXPECT_TRUE(reference::execute(q, eo).passed());
  return out;
}

reference::Verdict failed_at(std::size_t op_index, const char* check) {
  reference::Verdict v;
  v.fail(reference::Failure{check, "(stated by the test)", op_index, "(layout)"});
  return v;
}

// The section that opens with `title` (up to the next section).
std::string section(const std::string& report, const std::string& title) {
  const auto at = report.find(title);
  if (at == std::string::npos) return "";
  const auto next = report.find("\n--- ", at + title.size());
  return report.substr(at, next == std::string::npos ? std::string::npos : next + 1 - at);
}

constexpr const char* kPinned =
    "hash 1 0x0000000000000001\n"  // line 1
    "hash 2 0x0000000000000002\n"
    "put 1 10\n"
    "put 2 20\n"
    "get 1\n"  // line 5
    "put 1 11\n"
    "del 2\n";

TEST(ReplayExplain, APutShowsTheKeyBeforeAndAfterOnBothSides) {
  const trace::Program p = parse(kPinned);
  const std::string r = explain_failure(p, failed_at(5, "result: put"), output_of(p, 6));
  EXPECT_NE(r.find("--- the failing step: op 6 of 7, line 6: put 1 11 ---\n"
                   "map:   before the op: get 1 10; len 2\n"
                   "       after the op:  get 1 11; len 2\n"
                   "model: before the op: get 1 10; len 2\n"
                   "       after the op:  get 1 11; len 2\n"
                   "entries after the op:\n"
                   "  the map and the model hold the same 2 entries (a full iteration of the map, and a get of each key)\n"),
            std::string::npos)
      << r;
}

TEST(ReplayExplain, TheKeysHistoryHasEveryOpOnItAndNoOther) {
  const trace::Program p = parse(kPinned);
  const std::string r = explain_failure(p, failed_at(5, "result: put"), output_of(p, 6));
  EXPECT_EQ(section(r, "--- key 1,"),
            "--- key 1, op by op up to the failing op (ops on it, clears, its yields) ---\n"
            "op 1, line 1: hash 1 0x0000000000000001\n"
            "op 3, line 3: put 1 10\n"
            "op 5, line 5: get 1  -- gave: get 1 10\n"
            "op 6, line 6: put 1 11\n")
      << r;
}

TEST(ReplayExplain, TheLayoutBeforeTheOpIsTheDumpOfThePrefix) {
  const trace::Program p = parse(kPinned);
  const std::string r = explain_failure(p, failed_at(6, "result: del"), output_of(p, 7));
  const trace::Program before = parse(
      "hash 1 0x0000000000000001\nhash 2 0x0000000000000002\nput 1 10\nput 2 20\nget 1\nput 1 11\ndump\n");
  const std::string dump = output_of(before, before.ops.size()).substr(output_of(before, 6).size());
  ASSERT_NE(dump.find("dump B=0 count=2"), std::string::npos) << dump;
  EXPECT_EQ(section(r, "--- layout before the failing op ---"), "--- layout before the failing op ---\n" + dump) << r;
  EXPECT_NE(r.find("model: before the op: get 2 20; len 2\n       after the op:  get 2 missing; len 1\n"),
            std::string::npos)
      << r;
}

// A failure in the middle of a drain: the output of the checked run stops
// at the failing yield.
TEST(ReplayExplain, ADrainShowsItsYieldsUpToTheFailureAndTheYieldedKeysHistory) {
  const trace::Program p = parse(
      "hashing tiny 4 7\n"
      "put 5 50\nput 6 60\nput 7 70\niter it 0 0\nput 8 80\ndrain it\n");
  const std::string full = output_of(p, p.ops.size());
  // Cut after the second yield, as a failure there would leave it.
  std::size_t cut = full.find('\n', full.find('\n') + 1) + 1;
  const std::string out = full.substr(0, cut);
  const std::string second = out.substr(out.find('\n') + 1, cut - out.find('\n') - 2);  // "next it K V"
  const std::string key = second.substr(8, second.find(' ', 8) - 8);
  const std::string r = explain_failure(p, failed_at(5, "iteration: yielded twice"), out);
  EXPECT_NE(r.find("map:   the op yielded (2 lines, the check failed at the last):\n"), std::string::npos) << r;
  EXPECT_NE(r.find("         " + second + "\n"), std::string::npos) << r;
  EXPECT_NE(r.find("the last key yielded, " + key + ", is in the map with value " + key + "0"), std::string::npos)
      << r;
  const std::string h = section(r, "--- key " + key + ",");
  EXPECT_NE(h.find("iterator it's starts and closes"), std::string::npos) << r;
  EXPECT_NE(h.find("op 4, line 5: iter it 0 0\n"), std::string::npos) << h;
  EXPECT_NE(h.find("op 6, line 7: drain it  -- iterator it starts here; yielded it: " + second + " (step 2)\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("put " + key + " " + key + "0\n"), std::string::npos) << h;
}

TEST(ReplayExplain, AFinalCheckComparesTheWholeMapWithTheModel) {
  const trace::Program p = parse("hashing real 3\nput 1 10\nput 2 20\ndel 1\nput 3 30\n");
  const std::string r = explain_failure(p, failed_at(3, "final: contents"), output_of(p, 4));
  EXPECT_NE(r.find("--- the failing step: the checks after the last op"), std::string::npos) << r;
  EXPECT_NE(r.find("map and model after op 4 (the layout they saw is the one above):\n"
                   "  the map and the model hold the same 2 entries (a full iteration of the map, and a get of each "
                   "key)\n"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.find("--- layout"), std::string::npos) << r;  // the short report has it
}

TEST(ReplayExplain, ACheckAfterTheMapIsDestroyedShowsItsLastEntriesAndLayout) {
  const trace::Program p = parse("keys counted\nhashing tiny 2 5\nput 1 10\nput 2 20\n");
  reference::Verdict v;
  v.fail(reference::Failure{"counted: leak", "(stated by the test)", 1, "(map destroyed)"});
  const std::string r = explain_failure(p, v, "");
  EXPECT_NE(r.find("--- the failing step: the checks after the map was destroyed ---\n"
                   "map and model after op 2, before the map was destroyed:\n"
                   "  the map and the model hold the same 2 entries"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("--- layout before the map was destroyed ---\ndump B=0 count=2"), std::string::npos) << r;
}

TEST(ReplayExplain, AMapThatCannotRunThePrefixIsSaidSo) {
  // The probe's map stops at the hint (over --max-bytes): said, not hidden.
  const trace::Program p = parse("hashing real 1\nhint 100000\nput 1 1\n");
  const std::string r = explain_failure(p, failed_at(1, "result: put"), "", /*max_bytes=*/64);
  EXPECT_NE(r.find("(the map alone does not run through op 1: hint 100000 needs"), std::string::npos) << r;
}

TEST(ReplayExplain, NoFailureNoReport) {
  const trace::Program p = parse(kPinned);
  EXPECT_EQ(explain_failure(p, reference::Verdict{}, output_of(p, 7)), "");
}

}  // namespace
}  // namespace tophash::tools
