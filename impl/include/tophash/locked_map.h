// tophash/locked_map.h: LockedMap, a BucketMap under a std::shared_mutex,
// with SyncMap's API. The baseline SyncMap is measured against, and what Go
// recommends for most concurrent uses of a map.
//
// Lookups share the lock when the key type is equal to itself (then
// BucketMap::get only reads). With floating-point keys a lookup may hash a
// NaN, which draws from the map's random source, a write: they take the
// lock exclusively. Range takes it exclusively too, since starting a Go
// iteration draws its start position and registers the iterator in the map.
// Range calls f with the lock held: unlike SyncMap's, f must not call back
// into the map (it would deadlock). Range here sees one consistent state,
// which satisfies Go's weaker contract.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>

#include "tophash/bucket_map.h"
#include "tophash/internal/sync_point.h"

namespace tophash {

template <class K, class V, class Hash = Hasher<K>, class KeyEqual = std::equal_to<K>>
class LockedMap {
  using Map = BucketMap<K, V, Hash, KeyEqual>;
  using ReadLock = std::conditional_t<is_reflexive_key<K>::value, std::shared_lock<sync::SharedMutex>,
                                      std::unique_lock<sync::SharedMutex>>;
  using WriteLock = std::unique_lock<sync::SharedMutex>;

 public:
  using key_type = K;
  using mapped_type = V;

  LockedMap() = default;
  explicit LockedMap(std::uint64_t seed) : m_(0, seed) {}
  LockedMap(const LockedMap&) = delete;
  LockedMap& operator=(const LockedMap&) = delete;

  std::optional<V> Load(const K& key) const {
    ReadLock lock(mu_);
    if (const V* v = m_.get(key)) return *v;
    return std::nullopt;
  }

  void Store(const K& key, V value) {
    WriteLock lock(mu_);
    m_.insert_or_assign(key, std::move(value));
  }

  std::pair<V, bool> LoadOrStore(const K& key, V value) {
    WriteLock lock(mu_);
    auto [v, added] = m_.try_emplace(key, std::move(value));
    return {*v, !added};
  }

  std::optional<V> LoadAndDelete(const K& key) {
    WriteLock lock(mu_);
    V* v = m_.get(key);
    if (v == nullptr) return std::nullopt;
    std::optional<V> old{std::move(*v)};
    m_.erase(key);
    return old;
  }

  void Delete(const K& key) {
    WriteLock lock(mu_);
    m_.erase(key);
  }

  std::optional<V> Swap(const K& key, V value) {
    WriteLock lock(mu_);
    if (V* v = m_.get(key)) {
      std::optional<V> old{std::exchange(*v, std::move(value))};
      return old;
    }
    m_.insert_or_assign(key, std::move(value));
    return std::nullopt;
  }

  bool CompareAndSwap(const K& key, const V& expected, V desired) {
    WriteLock lock(mu_);
    V* v = m_.get(key);
    if (v == nullptr || !(*v == expected)) return false;
    *v = std::move(desired);
    return true;
  }

  bool CompareAndDelete(const K& key, const V& expected) {
    WriteLock lock(mu_);
    const V* v = m_.get(key);
    if (v == nullptr || !(*v == expected)) return false;
    m_.erase(key);
    return true;
  }

  template <class F>
  void Range(F&& f) {
    WriteLock lock(mu_);
    for (auto it = m_.iterate(); !it.done(); it.next()) {
      if (!f(it.key(), static_cast<const V&>(it.value()))) break;
    }
  }

  std::size_t size() const {
    ReadLock lock(mu_);
    return m_.size();
  }

 private:
  mutable sync::SharedMutex mu_;
  Map m_;
};

}  // namespace tophash
