// The C++ API around the Go core, the replayer's output and errors (the
// parser's own tests are in trace/trace_test.cc), and every trace recorded
// from the Go runtime replayed byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "executor.h"
#include "test_util.h"
#include "tophash/debug.h"

namespace tophash::testing {
namespace {

using A = debug::BucketMapAccess;
using Map = BucketMap<std::uint64_t, std::string>;

TEST(Api, InsertFindAtAndOperatorIndex) {
  Map m(0, 1);
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.insert_or_assign(1, "a").second);
  EXPECT_FALSE(m.insert_or_assign(1, "b").second);
  EXPECT_EQ(m.at(1), "b");
  EXPECT_FALSE(m.try_emplace(1, "c").second);
  EXPECT_EQ(m.at(1), "b") << "try_emplace does not overwrite";
  EXPECT_TRUE(m.try_emplace(2, 3, 'x').second);
  EXPECT_EQ(m.at(2), "xxx");
  m[3] += "z";
  EXPECT_EQ(m.at(3), "z");
  EXPECT_THROW(m.at(4), std::out_of_range);
  EXPECT_TRUE(m.contains(2));
  EXPECT_FALSE(m.contains(4));
  EXPECT_EQ(m.count(3), 1u);
  auto it = m.find(2);
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->first, 2u);
  EXPECT_EQ(it->second, "xxx");
  EXPECT_EQ(m.find(9), m.end());
  EXPECT_EQ(m.erase(2), 1u);
  EXPECT_EQ(m.erase(2), 0u);
  EXPECT_EQ(m.size(), 2u);
}

TEST(Api, CopyMoveSwapKeepContents) {
  Map m(0, 2);
  for (std::uint64_t k = 0; k < 500; ++k) m.insert_or_assign(k, std::to_string(k));
  Map c = m;
  EXPECT_EQ(c.size(), 500u);
  for (std::uint64_t k = 0; k < 500; ++k) EXPECT_EQ(c.at(k), std::to_string(k));
  c.insert_or_assign(1000, "new");
  EXPECT_FALSE(m.contains(1000)) << "a deep copy";
  Map moved = std::move(c);
  EXPECT_EQ(moved.size(), 501u);
  EXPECT_EQ(c.size(), 0u);  // NOLINT: moved-from is empty and usable
  c.insert_or_assign(1, "x");
  EXPECT_EQ(c.at(1), "x");
  swap(moved, c);
  EXPECT_EQ(c.size(), 501u);
  EXPECT_EQ(moved.size(), 1u);
  m = c;
  EXPECT_EQ(m.size(), 501u);
}

TEST(Api, EraseIfLeavesWhatSequentialDeletesLeave) {
  BucketMap<std::uint64_t, std::uint64_t> a(0, 5), b(0, 5);
  for (std::uint64_t k = 0; k < 3000; ++k) {
    a.insert_or_assign(k, k);
    b.insert_or_assign(k, k);
  }
  while (A::growing(a)) a.erase(~0ull);
  while (A::growing(b)) b.erase(~0ull);
  auto pred = [](std::uint64_t k) { return k % 3 != 0; };
  EXPECT_EQ(a.erase_if([&](const std::uint64_t& k, std::uint64_t&) { return pred(k); }), 2000u);
  for (std::uint64_t k = 3000; k-- > 0;) {
    if (pred(k)) b.erase(k);
  }
  EXPECT_EQ(dump_layout(a), dump_layout(b));
  EXPECT_EQ(a.size(), 1000u);
}

TEST(Api, ShrinkToFitAndReserve) {
  BucketMap<std::uint64_t, std::uint64_t> m(0, 6);
  for (std::uint64_t k = 0; k < 10000; ++k) m.insert_or_assign(k, k);
  const auto big = m.allocated_bytes();
  const int b = m.bucket_log2();
  for (std::uint64_t k = 0; k < 9990; ++k) m.erase(k);
  EXPECT_EQ(m.bucket_log2(), b);
  m.shrink_to_fit();
  EXPECT_EQ(m.bucket_log2(), 1) << "10 keys fit in B = 1";
  EXPECT_LT(m.allocated_bytes() * 100, big);
  for (std::uint64_t k = 9990; k < 10000; ++k) EXPECT_EQ(m.at(k), k);
  m.reserve(1000);
  EXPECT_EQ(m.bucket_log2(), 8) << "13*2^7 = 1664 >= 1000 > 13*2^6";
  const auto bytes = m.allocated_bytes();
  for (std::uint64_t k = 0; k < 990; ++k) m.insert_or_assign(k, k);
  EXPECT_EQ(m.bucket_log2(), 8) << "no growth after reserve";
  EXPECT_EQ(m.allocated_bytes(), bytes);
  m.erase_if([](const std::uint64_t&, std::uint64_t&) { return true; });
  m.shrink_to_fit();
  EXPECT_EQ(m.allocated_bytes(), 0u);
  EXPECT_EQ(m.bucket_log2(), 0);
}

// ---- the replayer: the executor without the model and the checks --------

std::string run(const std::string& text, std::string* error = nullptr) {
  auto parsed = trace::parse_trace(text);
  std::string out;
  reference::ExecOptions eo;
  eo.lockstep = false;
  eo.invariants = false;
  eo.output = &out;
  const reference::Verdict v = reference::execute(parsed.program, eo);
  auto err = v.refusal() ? std::optional(*v.refusal()) : parsed.error;
  if (error) *error = err ? "line " + std::to_string(err->line) + ": " + err->what : "";
  return out;
}

TEST(Replay, ErrorsNameTheLineAndKeepEarlierOutput) {
  std::string err;
  EXPECT_EQ(run("len\nlen\nbogus\nlen\n", &err), "len 0\nlen 0\n");
  EXPECT_EQ(err, "line 3: unknown operation 'bogus'");
  EXPECT_EQ(run("hash 1 0x0000000000000001\nput 1 2\nget 1\nhint 2000000000\n", &err), "get 1 2\n");
  EXPECT_EQ(err, "line 4: 'hint' must be the first operation");
  EXPECT_EQ(run("hint 2000000000\n", &err), "");
  EXPECT_EQ(err.rfind("line 1: hint 2000000000 needs", 0), 0u) << err;
  EXPECT_EQ(run("len\nreserve 2000000000\nlen\n", &err), "len 0\n");
  EXPECT_EQ(err.rfind("line 2: reserve 2000000000 needs", 0), 0u) << err;
}

TEST(Replay, ExtensionsRun) {
  std::string err;
  std::string out = run(
      "hash 1 0x1000000000000000\nhash 2 0x2000000000000001\nput 1 5\nput 2 6\niter a 0 0\nnext a\n"
      "close a\nreserve 100\nget 2\nshrink_to_fit\nlen\niter a 1 0\nnext a\nnext a\nnext a\n",
      &err);
  EXPECT_EQ(err, "");
  // After shrink_to_fit both keys share the one bucket of B = 0, in rebuild
  // order (bucket 0 of B = 4, then bucket 1), so start 1 masks to bucket 0.
  EXPECT_EQ(out, "next a 1 5\nget 2 6\nlen 2\nnext a 1 5\nnext a 2 6\nnext a end\n");
}

// Every regression trace the fuzzers ever filed runs clean in lockstep (the
// fuzz preset replays their inputs too; this runs them in every build).
TEST(Regressions, EveryFiledTraceRunsCleanInLockstep) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& dir : fs::directory_iterator(TOPHASH_REGRESSIONS)) {
    if (!dir.is_directory()) continue;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      if (entry.path().extension() != ".trace") continue;
      std::ifstream f(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      auto parsed = trace::parse_trace(ss.str());
      ASSERT_FALSE(parsed.error) << entry.path() << ": " << parsed.error->what;
      auto v = reference::execute(parsed.program);
      EXPECT_TRUE(v.passed()) << entry.path() << "\n" << reference::describe(parsed.program, v);
      ++n;
    }
  }
  EXPECT_GE(n, 2) << "the filed regressions";
}

// How many traces of a folder recorded from Go replay byte for byte.
int replay_go_traces(const char* dir) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".trace") continue;
    auto slurp = [](const fs::path& p) {
      std::ifstream f(p, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      return ss.str();
    };
    std::string expected = slurp(fs::path(entry.path()).replace_extension(".expected"));
    std::string err;
    std::string out = run(slurp(entry.path()), &err);
    EXPECT_EQ(err, "") << entry.path().filename();
    EXPECT_TRUE(out == expected) << entry.path().filename() << " differs from its .expected";
    ++n;
  }
  return n;
}

TEST(GoTraces, EveryRecordedTraceReplaysByteForByte) {
  EXPECT_EQ(replay_go_traces(TOPHASH_GO_TRACES), 11) << "the shared Go 1.19 traces (map[uint64]uint64)";
  // Our recorder's (tools/go-recorder): string and float64 keys, and the
  // evacuated old bucket whose overflow chain Go unlinks, and NaN keys
  // with their pinned hashes (hash nan).
  EXPECT_EQ(replay_go_traces(TOPHASH_RECORDED_TRACES), 10) << "tests/traces/recorded";
}

}  // namespace
}  // namespace tophash::testing
