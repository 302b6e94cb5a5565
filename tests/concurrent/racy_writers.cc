// Writes one BucketMap from two threads, one after the other, handing over
// through a relaxed atomic flag: the writes never overlap in time, so Go's
// misuse check stays quiet, but nothing orders them, so they race.
// ThreadSanitizer must report it (misuse_test runs this as a subprocess).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "tophash/bucket_map.h"

int main() {
  tophash::BucketMap<std::uint64_t, std::uint64_t> map(0, /*seed=*/7);
  std::atomic<bool> first_done{false};
  std::thread first([&] {
    for (std::uint64_t i = 0; i < 100; ++i) map.insert_or_assign(i, i);
    first_done.store(true, std::memory_order_relaxed);
  });
  std::thread second([&] {
    while (!first_done.load(std::memory_order_relaxed)) std::this_thread::yield();
    for (std::uint64_t i = 100; i < 200; ++i) map.insert_or_assign(i, i);
  });
  first.join();
  second.join();
  std::printf("size %zu\n", map.size());
  return 0;
}
