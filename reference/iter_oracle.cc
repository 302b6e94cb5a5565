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
  reset_keeping_capacity(must_);
  reset_keeping_capacity(yielded_);
  reset_keeping_capacity(cleared_);
  reset_keeping_capacity(nan_must_);
  reset_keeping_capacity(nan_other_);
}

void IterOracle::start(const Model& m) {
  started_ = true;
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

void IterOracle::on_clear(const Model& m) {
  for (const auto& [id, e] : m.entries()) cleared_.insert(id);
  if (!m.nan_values().empty()) cleared_nan_ = true;
  must_.clear();
  yielded_.clear();
  nan_must_.clear();
  nan_other_.clear();
}

bool IterOracle::yield(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool value_ok, bool nan,
                       const Model& m, const Format& fmt) {
  if (nan) {
    if (take(nan_must_, value) || take(nan_other_, value)) return false;
    if (cleared_nan_) return true;
    fail_nan_too_often(value);
  }
  if (!yielded_.insert(id).second) {
    if (cleared_.count(id)) return true;
    fail_yielded_twice(id, fmt);
  }
  must_.erase(id);
  const ModelEntry* e = m.get(id, false);
  if (const Mismatch x = compare(e, key, value, value_ok); x != Mismatch::kNone) {
    // Not in the map, a stale value or a stale -0/+0: from an array the
    // clear did not reset (golang/go#59411).
    if (cleared_.count(id)) return true;
    fail_mismatch(x, id, key, e, fmt);
  }
  return false;
}

void IterOracle::end(const Format& fmt) {
  ended_ = true;
  if (!must_.empty()) fail_never_yielded(*must_.begin(), must_.size() - 1, fmt);
  for (const auto& [v, n] : nan_must_) {
    if (n != 0) fail_nan_never_yielded(v);
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
