#include "iter_oracle.h"

namespace tophash::reference {

namespace {
// A key as the program names it, for a failure message (check.h fail_with).
auto key_text(const IterOracle::Format& fmt, std::uint64_t id) {
  return [f = &fmt, id](std::string& s) { s += (*f)(id); };
}
}  // namespace

void IterOracle::reset() {
  started_ = ended_ = cleared_nan_ = false;
  B_ = growths_ = 0;
  reseeded_after_growth_ = rebuilt_ = stale_seen_ = r10_reseeded_ = r9_ = r10_ = r11_ = started_doubling_ = started_growing_ = reseeded_ = false;
  same_size_epoch_ = -1;
  nan_skipped_ = 0;
  reset_keeping_capacity(must_);
  reset_keeping_capacity(yielded_);
  reset_keeping_capacity(cleared_);
  reset_keeping_capacity(nan_must_);
  reset_keeping_capacity(nan_other_);
  reset_keeping_capacity(nan_yielded_);
}

void IterOracle::start(const Model& m, MapPhase now) {
  started_ = true;
  B_ = now.B;
  started_doubling_ = now.growing && !now.same_size;
  started_growing_ = now.growing;
  on_step(now);
  must_.reserve(m.entries().size());
  for (const auto& [id, e] : m.entries()) must_.insert(id);
  for (std::uint64_t v : m.nan_values()) ++nan_must_[v];
  if (m.size() == 0) ended_ = true;  // at its end at once and for good
}

void IterOracle::on_erase(std::uint64_t id) {
  must_.erase(id);
  yielded_.erase(id);  // if it comes back, it is a new entry
}

void IterOracle::on_put_nan(std::uint64_t value) { ++nan_other_[value]; }

void IterOracle::on_erase_nan(std::uint64_t value) {
  if (!open()) return;
  nan_must_.erase(value);
  nan_other_.erase(value);
  cleared_nan_ = true;  // R13: an older array may still hold a copy
}

void IterOracle::on_step(MapPhase now) {
  if (!open()) return;
  const int epoch = static_cast<int>(growths_);
  // R11: a step inside a same-size growth at its B may enter an old bucket
  // with checkBucket set; once that growth is over, the filter is on.
  if (same_size_epoch_ >= 0 && (!now.growing || epoch != same_size_epoch_)) r11_ = true;
  // R7: a step on the stale path may leave it standing in h.oldbuckets'
  // chain, and it reads its own stale array from then on.
  if (stale_path(now)) stale_seen_ = true;
  if (now.growing && now.same_size && now.B == B_) same_size_epoch_ = epoch;
}

void IterOracle::on_clear(const Model& m, MapPhase now) {
  if (!open()) return;
  on_reseed();  // mapclear reseeds
  // R10: the clear resets the iterator's own array, the mark included.
  if (now.B >= 4 && growths_ == 0 && !rebuilt_) r10_ = true;
  for (const auto& [id, e] : m.entries()) cleared_.insert(id);
  if (!m.nan_values().empty()) cleared_nan_ = true;
  must_.clear();
  yielded_.clear();
  nan_must_.clear();
  nan_other_.clear();
}

void IterOracle::on_growth_start(bool same_size) {
  if (!open()) return;
  ++growths_;
  if (same_size && started_doubling_) r9_ = true;
}

void IterOracle::on_reseed() {
  if (!open()) return;
  reseeded_ = true;
  if (r10_) r10_reseeded_ = true;
  if (growths_ >= 1) reseeded_after_growth_ = true;
}

void IterOracle::on_rebuild() {
  if (open()) rebuilt_ = true;
}

IterOracle::Deviation IterOracle::yield(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool value_ok,
                                        bool nan, MapPhase now, std::uint64_t hash, const Model& m,
                                        const Format& fmt) {
  if (nan) {  // R5
    if (take(nan_must_, value) || take(nan_other_, value)) {
      ++nan_yielded_[value];
      return Deviation::kNone;
    }
    return nan_again(value);
  }
  if (stale_path(now)) stale_seen_ = true;
  Deviation d = Deviation::kNone;
  const std::size_t times = ++yielded_[id];
  if (times > 1) d = yielded_again(id, times, hash, fmt);
  must_.erase(id);  // R1
  const ModelEntry* e = m.get(id, false);
  if (const Mismatch x = compare(e, key, value, value_ok); x != Mismatch::kNone) {  // R2, R4
    // Not in the map, a stale value or a stale -0/+0: from an array the
    // clear did not reset (R6).
    if (cleared_.count(id)) return Deviation::kGo59411;
    fail_mismatch(x, id, key, e, fmt);
  }
  return d;
}

IterOracle::Deviation IterOracle::yielded_again(std::uint64_t id, std::size_t times, std::uint64_t hash,
                                                const Format& fmt) {
  if (cleared_.count(id)) return Deviation::kGo59411;  // R6
  Deviation d = Deviation::kNone;
  std::size_t most = 2;
  if ((started_growing_ && reseeded_) || (stale_seen_ && reseeded_after_growth_)) {
    // R7, R12: one copy of the entry in each array it can find one in.
    d = Deviation::kStaleCopy;
    most = max_stale_copy_yields();
  } else if (r9_) {
    d = Deviation::kFilterDropped;
  } else if (r10_ && (r10_reseeded_ || (hash & ((std::uint64_t{1} << B_) - 1)) == 0)) {
    d = Deviation::kClearMark;  // bucket 0, where the mark leads (under the clear's seed)
  } else {
    fail_yielded_twice(id, fmt);  // R3
  }
  if (times > most) fail_yielded_too_often(id, times, most, fmt);
  return d;
}

IterOracle::Deviation IterOracle::nan_again(std::uint64_t value) {
  if (cleared_nan_) return Deviation::kGo59411;  // R6
  if ((r9_ || r10_) && take(nan_yielded_, value)) return r9_ ? Deviation::kFilterDropped : Deviation::kClearMark;
  fail_nan_too_often(value);
}

void IterOracle::end(MapPhase now, const Format& fmt) {
  on_step(now);
  ended_ = true;
  if (!must_.empty()) fail_never_yielded(*must_.begin(), must_.size() - 1, fmt);
  for (const auto& [v, n] : nan_must_) {
    if (n == 0) continue;
    if (!r11_) fail_nan_never_yielded(v);
    nan_skipped_ += n;  // R11
  }
}

void IterOracle::fail_mismatch(Mismatch x, std::uint64_t id, std::uint64_t key, const ModelEntry* e,
                               const Format& fmt) {
  switch (x) {
    case Mismatch::kNotInMap:
      fail_with("iteration: yielded a key not in the map", "key ", key_text(fmt, id),
                " was yielded but is not in the map (never added, or deleted before it was reached)");
    case Mismatch::kWrongValue:
      fail_with("iteration: wrong value", "key ", key_text(fmt, id),
                " was yielded with a value that is not its current one");
    case Mismatch::kWrongKey:
    case Mismatch::kNone:
      break;
  }
  fail_with("iteration: wrong key", "key ", key_text(fmt, id), " was yielded as ", key_text(fmt, key),
            " but was last put as ", key_text(fmt, e ? e->key : key));
}

void IterOracle::fail_yielded_twice(std::uint64_t id, const Format& fmt) {
  fail_with("iteration: yielded twice", "key ", key_text(fmt, id), " was yielded twice without being deleted in between");
}

void IterOracle::fail_yielded_too_often(std::uint64_t id, std::size_t times, std::size_t most, const Format& fmt) {
  fail_with("iteration: yielded twice", "key ", key_text(fmt, id), " was yielded ", times,
            " times without being deleted in between; Go 1.19 can repeat it at most ", most,
            " times here (one copy in each array this iterator can read)");
}

void IterOracle::fail_never_yielded(std::uint64_t id, std::size_t more, const Format& fmt) {
  fail_with("iteration: key never yielded", "key ", key_text(fmt, id), " (and ", more,
            " more) was in the map from start to end but never yielded");
}

void IterOracle::fail_nan_too_often(std::uint64_t value) {
  fail_with("iteration: NaN yielded too often", "a NaN entry with value ", value,
            " was yielded more often than such entries were in the map");
}

void IterOracle::fail_nan_never_yielded(std::uint64_t value) {
  fail_with("iteration: key never yielded", "a NaN entry with value ", value,
            " was in the map from start to end but never yielded");
}

bool IterOracle::take(Bag& bag, std::uint64_t v) {
  auto it = bag.find(v);
  if (it == bag.end() || it->second == 0) return false;
  --it->second;
  return true;
}

}  // namespace tophash::reference
