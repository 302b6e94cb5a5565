// reference/model.h: what the map should hold, by the book: a
// std::unordered_map from key identity (keys.h: -0 and +0 are one key) to
// the key as last put and its value, plus the NaN entries, which Go keeps
// apart in effect: every put of NaN adds one that no get or delete finds.
// Keys and values are reprs (trace.h), so the model owns no objects of the
// types under test and cannot disturb their counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "pool.h"

namespace tophash::reference {

struct ModelEntry {
  std::uint64_t key;    // exact repr as last put (for doubles: -0 or +0)
  std::uint64_t value;  // value repr
  // Scratch for a check that visits entries (Model::new_mark): equal to
  // the check's mark once visited.
  mutable std::uint64_t mark = 0;
};

class Model {
 public:
  // m[key] = value. Returns true when the key was added.
  bool put(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool nan);
  std::size_t erase(std::uint64_t id, bool nan);
  const ModelEntry* get(std::uint64_t id, bool nan) const;
  std::size_t size() const { return entries_.size() + nan_values_.size(); }
  void clear();
  // erase_if: removes the entries pred(key, value, nan) holds for,
  // appending the key identities removed to `ids` and the NaN values to
  // `nans`; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred, std::vector<std::uint64_t>& ids, std::vector<std::uint64_t>& nans) {
    std::size_t n = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (pred(it->second.key, it->second.value, false)) {
        ids.push_back(it->first);
        it = entries_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    std::size_t kept = 0;
    for (std::uint64_t v : nan_values_) {
      if (pred(v, v, true)) {  // a NaN: only its value matters
        nans.push_back(v);
        ++n;
      } else {
        nan_values_[kept++] = v;
      }
    }
    nan_values_.resize(kept);
    return n;
  }
  // Empty for the next program: clear(), keeping the table unless it grew
  // big (a clear costs its bucket count).
  void reset();
  using Entries = std::unordered_map<std::uint64_t, ModelEntry, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                     PoolAllocator<std::pair<const std::uint64_t, ModelEntry>>>;
  const Entries& entries() const { return entries_; }
  const std::vector<std::uint64_t>& nan_values() const { return nan_values_; }
  // A mark no entry carries yet (for ModelEntry::mark).
  std::uint64_t new_mark() { return ++marks_; }

 private:
  Entries entries_;
  std::vector<std::uint64_t> nan_values_;
  std::uint64_t marks_ = 0;
};

}  // namespace tophash::reference
