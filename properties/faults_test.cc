// Faults: every operation that a failed allocation, or a throwing key
// copy, value copy, hash, equality or predicate, interrupts leaves the map
// consistent, losing nothing and leaking nothing, and keeps the exception
// guarantee bucket_map.h states for it (reference/faults_run.h checks it;
// the fuzz target "faults" runs the same checks on libFuzzer's programs).
// Guards the planted bugs mutants/faults-*.patch.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <vector>

#include "faults_run.h"
#include "test_name.h"
#include "watchdog.h"

namespace tophash::properties {
namespace {

using Bytes = std::vector<std::uint8_t>;

rc::Gen<std::uint8_t> byte_in(int lo, int hi) { return rc::gen::inRange<std::uint8_t>(lo, hi); }

// One op of faults_run.h's format, weighted towards what fails: a fault
// armed (at an early call of its site, so it fires), bulk inserts that
// grow the map, and iterators open across them.
rc::Gen<Bytes> op_gen() {
  auto bytes = [](auto... gens) {
    return rc::gen::map(rc::gen::tuple(gens...), [](auto t) {
      return std::apply([](auto... b) { return Bytes{static_cast<std::uint8_t>(b)...}; }, t);
    });
  };
  return rc::gen::weightedOneOf<Bytes>({
      {6, bytes(rc::gen::just<int>(12), byte_in(0, 6), byte_in(0, 12))},
      {4, bytes(rc::gen::just<int>(13), byte_in(0, 120), byte_in(0, 64), byte_in(0, 255))},
      {3, bytes(byte_in(0, 3), byte_in(0, 120), byte_in(0, 255))},
      {2, bytes(rc::gen::just<int>(3), byte_in(0, 120))},
      {1, bytes(rc::gen::just<int>(4), byte_in(0, 7), byte_in(0, 7))},
      {1, bytes(rc::gen::element<int>(5, 7, 8, 9), byte_in(0, 1))},
      {1, bytes(rc::gen::just<int>(6), byte_in(0, 80))},
      {2, bytes(rc::gen::element<int>(10, 15), byte_in(0, 3))},
      {3, bytes(rc::gen::just<int>(11), byte_in(0, 3), byte_in(0, 32))},
      {1, bytes(rc::gen::just<int>(14), byte_in(0, 120))},
  });
}

RC_GTEST_PROP(Faults, FailedOpsLeaveTheMapWhole, ()) {
  const Bytes head = {*byte_in(0, 3), *rc::gen::arbitrary<std::uint8_t>()};
  const auto ops = *rc::gen::scale(4, rc::gen::container<std::vector<Bytes>>(op_gen()));
  Bytes program = head;
  for (const Bytes& op : ops) program.insert(program.end(), op.begin(), op.end());
  CaseClock clock(test_name());
  reference::faults::FaultRun run(program.data(), program.size());
  const auto failure = run.run();
  if (failure) std::fprintf(stderr, "check failed: %s\n", failure->c_str());
  RC_ASSERT(!failure);
  RC_TAG(run.stats().fired != 0 ? "a fault fired" : "no fault fired");
}

}  // namespace
}  // namespace tophash::properties
