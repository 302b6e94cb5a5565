// Reclamation torture: the stress tests (stress_test.cc) rebuilt with
// impl/'s synchronisation points as hooks (TOPHASH_SYNC_HOOKS) and a
// collection on every retirement (TOPHASH_RECLAIM_EAGER), under
// AddressSanitizer. The observer installed here does not schedule: it
// sleeps for a random (seeded) moment right after a thread pins and right
// after it loads an atomic, the windows between pinning, reading a
// pointer and following it. An object freed too early is then freed
// while its reader sleeps, and ASan reports the read at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

#include "tophash/internal/sync_point.h"

namespace {

namespace sync = tophash::sync;

class DelayObserver final : public sync::Observer {
 public:
  void at(sync::Point p, const void*, std::memory_order) override {
    if (p != sync::Point::kPin && p != sync::Point::kLoaded) return;
    thread_local std::mt19937_64 rng(0x7051u + next_thread_.fetch_add(1, std::memory_order_relaxed));
    const std::uint64_t r = rng();
    if (r % 64 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(1 + (r >> 8) % 200));
    } else if (r % 8 == 0) {
      std::this_thread::yield();
    }
  }
  bool buffer_store(void*, std::uint64_t, void (*)(void*, std::uint64_t)) override { return false; }
  bool forward_load(const void*, std::uint64_t*) override { return false; }
  void drain() override {}

 private:
  std::atomic<std::uint64_t> next_thread_{0};
};

class Torture : public ::testing::Environment {
 public:
  void SetUp() override { sync::set_observer(&observer_); }
  void TearDown() override { sync::set_observer(nullptr); }

 private:
  DelayObserver observer_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new Torture);
  return RUN_ALL_TESTS();
}
