// reference/growth_pace.h: how fast a growth progresses, checked op by op
// against Go 1.19's growWork (the executor's check "growth: pace").
//
// The other checks see that a growth starts when Go's would and that the
// evacuation state is consistent (old buckets below the mark evacuated,
// the one at the mark not), but not the pace: a growth that evacuates too
// little per write (and so may never end) or too much passes those. Go
// fixes the pace exactly (runtime/map.go): every put, new key or not, and
// every delete on a non-empty map first evacuates the old bucket its key
// maps to, then, if the growth is not done, the old bucket at the mark;
// evacuating the bucket at the mark moves the mark past it and past the
// evacuated buckets after it (at most kMaxEvacuationScan further); the
// growth ends when the mark passes the last old bucket. A put that starts
// a growth does that work on the new growth at once. Nothing else
// evacuates (lookups and iterators read only); clear abandons a growth
// (of a non-empty map); reserve and shrink_to_fit finish it or leave it
// alone.
//
// GrowthPace follows the growth as Go would run it: after each op it
// compares the growth state, the mark and the buckets the op should have
// evacuated with the map's (a few buckets per op); every old bucket's
// state is compared at the whole-table checks (check_all), so an op that
// evacuated a bucket it should not have is found there and pinned to its
// op like any whole-table finding. A write whose hash is random (a NaN
// key) cannot be predicted: the state is read back from the map instead.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check.h"
#include "go_rules.h"
#include "tophash/debug.h"

namespace tophash::reference {

template <class Map>
class GrowthPace {
  using A = debug::BucketMapAccess;

 public:
  // `evacuated` is storage the caller reuses from run to run.
  explicit GrowthPace(std::vector<char>& evacuated) : evacuated_(evacuated) { evacuated_.clear(); }

  // After a put (or, on a map that was not empty, a delete) of a key with
  // `hash` (none: a NaN key's random hash).
  void after_write(const Map& m, std::optional<std::uint64_t> hash, bool put) {
    if (!hash) return follow(m);
    nwork_ = 0;
    if (growing_) grow_work(*hash);
    if (put && !growing_ && A::growing(m)) {
      // This put started a growth (whether it should have is "growth:
      // trigger") and did its first growth work on it.
      start(m);
      grow_work(*hash);
    }
    compare(m, put ? "a put evacuates its key's old bucket, then the one at the mark"
                   : "a delete on a non-empty map evacuates its key's old bucket, then the one at the mark");
  }
  // After an op that evacuates nothing (a lookup, an iterator's, a delete
  // on an empty map).
  void after_read(const Map& m) {
    nwork_ = 0;
    compare(m, "only writes evacuate");
  }
  // After a clear: a map that was not empty stops growing.
  void after_clear(const Map& m, bool was_empty) {
    nwork_ = 0;
    if (!was_empty) growing_ = false;
    compare(m, "clear abandons the growth of a non-empty map");
  }
  // After reserve or shrink_to_fit.
  void after_rebuild(const Map& m) {
    nwork_ = 0;
    if (!A::growing(m)) growing_ = false;
    compare(m, "a rebuild finishes a growth or leaves it alone");
  }
  // After an op whose growth work is not Go's to predict (a map copied,
  // moved or swapped into this one): the state is read back from the map.
  void resync(const Map& m) {
    nwork_ = 0;
    follow(m);
  }
  // Every old bucket's state against Go's.
  void check_all(const Map& m) const {
    if (!growing_ || !A::growing(m) || A::oldbuckets(m) != old_) return;
    for (std::size_t j = 0; j < nold_; ++j) {
      if (A::oldbuckets(m)->bucket(j)->evacuated() != (evacuated_[j] != 0)) fail_bucket(m, j);
    }
  }

 private:
  void start(const Map& m) {
    growing_ = true;
    old_ = A::oldbuckets(m);
    nold_ = A::noldbuckets(m);
    nevacuate_ = 0;
    evacuated_.assign(nold_, 0);
    nwork_ = 0;  // what the op did to the growth it finished is not this one's
  }
  // The map's state as it is, for what cannot be predicted.
  void follow(const Map& m) {
    growing_ = A::growing(m);
    if (!growing_) return;
    start(m);
    nevacuate_ = A::nevacuate(m);
    for (std::size_t j = 0; j < nold_; ++j) evacuated_[j] = A::oldbuckets(m)->bucket(j)->evacuated();
  }
  // growWork.
  void grow_work(std::uint64_t hash) {
    evacuate(hash & (nold_ - 1));
    if (growing_) evacuate(nevacuate_);
  }
  // evacuate(oldbucket) and advanceEvacuationMark.
  void evacuate(std::size_t j) {
    evacuated_[j] = 1;
    if (nwork_ < work_.size()) work_[nwork_++] = j;
    if (j != nevacuate_) return;
    ++nevacuate_;
    const std::size_t stop = std::min(nevacuate_ + go::kMaxEvacuationScan, nold_);
    while (nevacuate_ != stop && evacuated_[nevacuate_]) ++nevacuate_;
    if (nevacuate_ == nold_) growing_ = false;
  }
  void compare(const Map& m, const char* rule) const {
    if (A::growing(m) != growing_ ||
        (growing_ && (A::oldbuckets(m) != old_ || A::nevacuate(m) != nevacuate_))) {
      fail_state(m, rule);
    }
    if (!growing_) return;
    for (std::size_t i = 0; i < nwork_; ++i) {
      if (!A::oldbuckets(m)->bucket(work_[i])->evacuated()) fail_state(m, rule);
    }
  }
  [[gnu::noinline, gnu::cold]] void fail_state(const Map& m, const char* rule) const {
    fail_with("growth: pace", rule, "; Go: ", [this](std::string& s) { s += show(); }, "; the map: ",
              [&m](std::string& s) { s += show_map(m); });
  }
  [[gnu::noinline, gnu::cold]] void fail_bucket(const Map& m, std::size_t j) const {
    fail_with("growth: pace", "old bucket ", j, evacuated_[j] ? " should be evacuated by now" : " was evacuated early",
              "; Go: ", [this](std::string& s) { s += show(); }, "; the map: ",
              [&m](std::string& s) { s += show_map(m); });
  }
  std::string show() const {
    return show_growth(growing_, nevacuate_, nold_, [this](std::size_t j) { return evacuated_[j] != 0; });
  }
  static std::string show_map(const Map& m) {
    const auto* old = A::oldbuckets(m);
    return show_growth(A::growing(m), A::nevacuate(m), A::noldbuckets(m),
                       [old](std::size_t j) { return old->bucket(j)->evacuated(); });
  }
  template <class Evacuated>
  static std::string show_growth(bool growing, std::size_t nevacuate, std::size_t nold, Evacuated evacuated) {
    if (!growing) return "not growing";
    std::string s = "growing, nevacuate " + std::to_string(nevacuate) + " of " + std::to_string(nold) + ", evacuated {";
    for (std::size_t j = 0; j < nold; ++j) {
      if (evacuated(j)) s += (s.back() == '{' ? "" : " ") + std::to_string(j);
    }
    return s + "}";
  }

  std::vector<char>& evacuated_;  // per old bucket, as Go's growWork would have it
  bool growing_ = false;
  const void* old_ = nullptr;  // the old array (which growth this is)
  std::size_t nold_ = 0, nevacuate_ = 0;
  std::array<std::size_t, 4> work_{};  // the buckets this op evacuated
  std::size_t nwork_ = 0;
};

}  // namespace tophash::reference
