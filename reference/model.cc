#include "model.h"

namespace tophash::reference {

bool Model::put(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool nan) {
  if (nan) {
    nan_values_.push_back(value);
    return true;
  }
  auto [it, added] = entries_.try_emplace(id, ModelEntry{key, value});
  if (!added) it->second = ModelEntry{key, value};  // Go updates the stored key too (needkeyupdate)
  return added;
}

std::size_t Model::erase(std::uint64_t id, bool nan) { return nan ? 0 : entries_.erase(id); }

const ModelEntry* Model::get(std::uint64_t id, bool nan) const {
  if (nan) return nullptr;
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

void Model::reset() {
  reset_keeping_capacity(entries_);
  reset_keeping_capacity(nan_values_);
}

void Model::clear() {
  entries_.clear();
  nan_values_.clear();
}

}  // namespace tophash::reference
