// reference/iter_oracle.h: Go's iteration contract, checked for one
// iterator at every step and at its end.
//
// Between initialisation (the first `next`) and the end:
//   - every key present from start to end is yielded exactly once;
//   - a key deleted before it is reached is never yielded;
//   - nothing is yielded twice, unless it was deleted and added again in
//     between (then it is a new entry, which Go may or may not yield);
//   - nothing is yielded that is not in the map at that moment, and what is
//     yielded carries the map's current value;
//   - NaN entries (which no lookup finds) are yielded at most as often as
//     they exist, and those present from start to end all are.
// A key removed by a clear() while the iterator was open may still come
// out of an array the clear did not reset: that is Go 1.19's own
// behaviour (golang/go#59411), counted as a deviation, not a failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "check.h"
#include "model.h"
#include "pool.h"

namespace tophash::reference {

class IterOracle {
 public:
  using Format = std::function<std::string(std::uint64_t id)>;

  // As freshly constructed, keeping the sets' storage (the executor reuses
  // its oracles from program to program).
  void reset();

  bool started() const { return started_; }
  bool ended() const { return ended_; }

  void start(const Model& m);  // at initialisation (the first next)
  void on_erase(std::uint64_t id);
  void on_put_nan(std::uint64_t value);
  void on_clear(const Model& m);  // before the model is cleared

  // One entry the iterator yielded: its key identity and exact repr, its
  // value repr (value_ok false when the value is not one the program ever
  // put). Returns true for a Go 1.19 deviation (golang/go#59411); throws
  // CheckFailure when the contract is broken.
  bool yield(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool value_ok, bool nan, const Model& m,
             const Format& fmt);
  // At the iterator's end.
  void end(const Format& fmt);

  // The contract's per-entry checks and failures, shared with the
  // executor's final iteration (over which nothing is written, so it
  // checks with the model's marks instead of an oracle's sets).
  enum class Mismatch { kNone, kNotInMap, kWrongValue, kWrongKey };
  // A yielded entry (not NaN) against the model's entry for its identity.
  static Mismatch compare(const ModelEntry* e, std::uint64_t key, std::uint64_t value, bool value_ok) {
    if (e == nullptr) return Mismatch::kNotInMap;
    if (!value_ok || e->value != value) return Mismatch::kWrongValue;
    if (e->key != key) return Mismatch::kWrongKey;
    return Mismatch::kNone;
  }
  [[noreturn]] static void fail_mismatch(Mismatch x, std::uint64_t id, std::uint64_t key, const ModelEntry* e,
                                         const Format& fmt);
  [[noreturn]] static void fail_yielded_twice(std::uint64_t id, const Format& fmt);
  [[noreturn]] static void fail_never_yielded(std::uint64_t id, std::size_t more, const Format& fmt);
  [[noreturn]] static void fail_nan_too_often(std::uint64_t value);
  [[noreturn]] static void fail_nan_never_yielded(std::uint64_t value);

 private:
  using Set = std::unordered_set<std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                 PoolAllocator<std::uint64_t>>;
  using Bag = std::unordered_map<std::uint64_t, std::size_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                 PoolAllocator<std::pair<const std::uint64_t, std::size_t>>>;
  static bool take(Bag& bag, std::uint64_t v);

  bool started_ = false, ended_ = false, cleared_nan_ = false;
  Set must_;     // present since start, not yet yielded
  Set yielded_;  // yielded and not deleted since
  Set cleared_;  // removed by a clear while open
  Bag nan_must_, nan_other_;
};


}  // namespace tophash::reference
