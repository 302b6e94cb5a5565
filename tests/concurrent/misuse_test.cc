// Negative controls for the plain BucketMap, which is not meant for
// concurrent writes: Go's misuse check must catch two threads writing it
// at once (death tests, certain by construction), and in the tsan build
// ThreadSanitizer must report the same misuse as a data race.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "tophash/bucket_map.h"

namespace {

// Holds a writer inside its write. BucketMap compares keys while its
// hashWriting flag is set, so a writer whose key is already in the map
// calls this functor with the flag up; the functor then waits until the
// other thread's operation has returned, which it never does if the misuse
// check works, since the check aborts the process. The overlap is
// therefore certain, whatever the scheduler does; a 10 s bound keeps a
// broken check from hanging the test (the death test then fails).
struct Gate {
  std::atomic<bool> armed{false};
  std::atomic<bool> writer_inside{false};
  std::atomic<bool> other_done{false};
};

struct HoldingEq {
  Gate* gate;
  bool operator()(std::uint64_t a, std::uint64_t b) const {
    if (gate->armed.exchange(false)) {
      gate->writer_inside.store(true);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!gate->other_done.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    }
    return a == b;
  }
};

using Map = tophash::BucketMap<std::uint64_t, std::uint64_t, tophash::Hasher<std::uint64_t>, HoldingEq>;

// Runs `other(map)` on this thread while another thread is held inside a
// write of key 1.
template <class Other>
void while_a_write_is_in_progress(Other other) {
  Gate gate;
  Map map(0, /*seed=*/1, tophash::Hasher<std::uint64_t>(), HoldingEq{&gate});
  map.insert_or_assign(std::uint64_t{1}, std::uint64_t{10});
  gate.armed.store(true);
  std::thread writer([&] { map.insert_or_assign(std::uint64_t{1}, std::uint64_t{11}); });
  while (!gate.writer_inside.load()) std::this_thread::yield();
  other(map);
  gate.other_done.store(true);
  writer.join();
}

class BucketMapMisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(BucketMapMisuseDeathTest, TwoWritersAbortWithConcurrentMapWrites) {
  EXPECT_DEATH(while_a_write_is_in_progress([](Map& m) { m.insert_or_assign(std::uint64_t{2}, std::uint64_t{20}); }),
               "fatal error: concurrent map writes");
}

TEST_F(BucketMapMisuseDeathTest, ADeleteDuringAWriteAborts) {
  EXPECT_DEATH(while_a_write_is_in_progress([](Map& m) { m.erase(1); }), "fatal error: concurrent map writes");
}

TEST_F(BucketMapMisuseDeathTest, AReadDuringAWriteAborts) {
  EXPECT_DEATH(while_a_write_is_in_progress([](Map& m) { (void)m.get(1); }),
               "fatal error: concurrent map read and map write");
}

TEST_F(BucketMapMisuseDeathTest, AnIterationDuringAWriteAborts) {
  EXPECT_DEATH(while_a_write_is_in_progress([](Map& m) { (void)m.iterate(tophash::IterStart{0, 0}); }),
               "fatal error: concurrent map iteration and map write");
}

// The control of the control: the same choreography with the second
// operation on another map does not abort.
TEST(BucketMapMisuse, TheGateItselfDoesNotAbort) {
  while_a_write_is_in_progress([](Map&) {
    tophash::BucketMap<std::uint64_t, std::uint64_t> other(0, 2);
    other.insert_or_assign(std::uint64_t{2}, std::uint64_t{20});
  });
}

#ifdef TOPHASH_RACY_WRITERS
// The racy helper writes one BucketMap from two threads that never overlap
// in time (so Go's check stays quiet) and never synchronise (so the writes
// race). ThreadSanitizer must say so. Run as a subprocess: its report is
// expected and must not count against this test binary.
TEST(BucketMapMisuse, TsanReportsUnsynchronisedWriters) {
  setenv("TSAN_OPTIONS", "halt_on_error=0 exitcode=66 report_signal_unsafe=0", 1);
  const std::string cmd = std::string("\"") + TOPHASH_RACY_WRITERS + "\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) output.append(buf, n);
  const int status = pclose(p);
  EXPECT_NE(output.find("WARNING: ThreadSanitizer: data race"), std::string::npos);
  EXPECT_NE(output.find("tophash::BucketMap"), std::string::npos);
  EXPECT_NE(output.find("size 200"), std::string::npos);  // both writers finished
  EXPECT_EQ(output.find("fatal error"), std::string::npos);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 66);
  if (HasFailure()) std::printf("%s", output.c_str());
}
#endif

}  // namespace
