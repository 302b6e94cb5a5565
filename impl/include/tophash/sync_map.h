// tophash/sync_map.h: SyncMap, Go's sync.Map (sync/map.go) in C++.
//
// What it is for. Go's own advice holds: a plain map under a lock
// (LockedMap, locked_map.h) is the right choice almost always. SyncMap wins
// when keys are written once and read many times, or when threads work on
// disjoint keys: then most operations touch no lock and no shared cache
// line except the entry they read.
//
// The design, as Go's. Two maps share their entries:
//
//   read   an immutable snapshot (std::unordered_map<K, Entry*>), published
//          through an atomic pointer and read without any lock. Its entries
//          are mutable through their atomic value pointer, so a Load, or a
//          Store to a key already in the snapshot, needs no lock at all.
//   dirty  the keys added since the snapshot was taken, plus every live
//          entry of the snapshot; guarded by mu_. Null right after a
//          promotion; rebuilt from the snapshot at the next new key.
//
// `amended` (the low bit of the published pointer) says dirty holds keys
// the snapshot lacks: only then does a miss in the snapshot take the lock.
// Each such miss counts; once the misses reach dirty's size the dirty map
// is promoted: it becomes the snapshot as it is (no copy), and dirty
// becomes null. Range promotes at once, so it walks a complete snapshot.
//
// An entry's pointer p is in one of three states:
//   a value   the key maps to *p;
//   nullptr   deleted, but the entry is still in dirty (if dirty exists),
//             so a later Store may revive it without the lock;
//   expunged  deleted and not in dirty: building dirty turns every nullptr
//             of the snapshot into expunged and leaves it out. Only under
//             mu_ can an expunged entry come back (unexpunge, which puts it
//             into dirty too); the lock-free paths treat expunged as "take
//             the lock", or the key would live on in a snapshot that the
//             next promotion throws away.
//
// Memory. Values live in heap nodes so that an entry can swap them with
// one CAS, as Go's entries swap *interface{}. Nothing a lock-free reader
// may hold is freed while it may hold it: each operation pins an epoch
// (reclaim.h) and unlinked values, entries and snapshots are retired and
// freed two epochs later. Who frees what, exactly once:
//   - a value: the thread whose CAS or exchange took it out of an entry
//     retires it; a value still in an entry when the entry is freed is
//     freed with the entry;
//   - an entry removed from dirty by LoadAndDelete (its key was not in the
//     snapshot, so no snapshot holds it) is retired on its own;
//   - at a promotion the old snapshot is retired together with the entries
//     expunged from it (in no other map, and expunged for good, since
//     unexpunging needs the current snapshot); its other entries live on
//     in the new snapshot;
//   - the destructor frees the rest, and the retire list's destructor
//     whatever is still waiting there.
//
// Value nodes are recycled. A Store allocates a node and, two epochs
// later, frees the one it replaced: most of the time the allocator's
// per-thread cache is empty or full at that moment, and a node freed by a
// thread other than the one that made it goes back to that thread's
// arena. So each thread keeps up to kValueCache freed nodes (their value
// destroyed, their memory kept) per value type, and takes a new node from
// there first. The cache changes when memory is handed back, never when
// it may be: a node goes into it exactly where it would have been freed.
// Builds that watch the freeing (AddressSanitizer, the sync hooks, eager
// reclamation) free every node at once instead, so that a use after free
// is caught where it happens. A thread's cache is freed when it exits;
// collect() does not empty it. Store and Swap allocate their node before
// they pin: a pinned thread holds back the reclamation of every other
// (reclaim.h), so the pinned stretch holds no allocation.
//
// Why std::unordered_map inside and not BucketMap. A snapshot is read by
// many threads at once, so every read of the inner map must be a pure
// read. The standard guarantees that of unordered_map's const members.
// BucketMap's reads are not pure: starting an iteration draws a random
// start from the map's generator and registers the iterator in the map,
// and hashing a NaN key draws from the generator too; those writes would
// race. Go's sync.Map relies on the same property of Go maps (concurrent
// reads are allowed), which our BucketMap offers only for lookups of keys
// that are equal to themselves.
//
// API (Go's names): Load, Store, LoadOrStore, LoadAndDelete, Delete,
// Range, and from later Go versions Swap, CompareAndSwap, CompareAndDelete.
// Values are returned by copy: a reference would outlive the epoch pin.
// Range passes references that are valid during the callback. A SyncMap
// must outlive every operation on it and is neither copied nor moved, as
// Go's Map must not be copied after first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tophash/internal/reclaim.h"
#include "tophash/internal/sync_point.h"

namespace tophash {

template <class K, class V, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class SyncMap {
  struct Value : reclaim::Retired {
    template <class... Args>
    explicit Value(Args&&... args) : v(std::forward<Args>(args)...) {}
    V v;
  };
  struct Entry : reclaim::Retired {
    explicit Entry(Value* value) : p(value) {}
    sync::Atomic<Value*> p;
  };
  // The per-thread cache of freed Value nodes (see "Value nodes are
  // recycled" above).
  static constexpr std::size_t kValueCache = 1024;
#if defined(TOPHASH_SYNC_HOOKS) || defined(TOPHASH_RECLAIM_EAGER) || defined(__SANITIZE_ADDRESS__)
  static constexpr bool kWatchedFrees = true;
#elif defined(__has_feature)
  static constexpr bool kWatchedFrees = __has_feature(address_sanitizer);
#else
  static constexpr bool kWatchedFrees = false;
#endif
  static constexpr bool kCacheValues = !kWatchedFrees && sizeof(Value) <= 256 &&
                                       alignof(Value) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
  // Trivially destructible, so that it outlives its flush: a SyncMap
  // destroyed after the thread's thread_local objects (a static map, at
  // exit) still finds it, closed.
  struct ValueCache {
    void* nodes[kValueCache];
    std::size_t n;
    bool armed;   // the flush at thread exit is registered
    bool closed;  // flushed: free nodes directly from now on
  };
  struct ValueCacheFlush {
    ~ValueCacheFlush() {
      ValueCache& c = value_cache();
      while (c.n != 0) ::operator delete(c.nodes[--c.n]);
      c.closed = true;
    }
  };
  static ValueCache& value_cache() noexcept {
    thread_local ValueCache c{};
    return c;
  }
  template <class... Args>
  static Value* new_value(Args&&... args) {
    if constexpr (kCacheValues) {
      ValueCache& c = value_cache();
      if (c.n != 0) {
        void* mem = c.nodes[--c.n];
        try {
          return ::new (mem) Value(std::forward<Args>(args)...);
        } catch (...) {
          c.nodes[c.n++] = mem;
          throw;
        }
      }
    }
    return new Value(std::forward<Args>(args)...);
  }
  // Frees a node nobody can reach any more.
  static void free_value(Value* v) noexcept {
    if constexpr (kCacheValues) {
      ValueCache& c = value_cache();
      if (c.n < kValueCache && !c.closed) {
        if (!c.armed) {
          thread_local ValueCacheFlush flush;
          c.armed = true;
        }
        v->~Value();
        c.nodes[c.n++] = v;
        return;
      }
    }
    delete v;
  }

  // A value node not yet published: freed on the way out (an allocation
  // that fails while pinning or locking, a throwing insert) unless handed
  // over. publish(f) hands it to f and takes it back when f reports that
  // it did not publish it.
  struct PendingValue {
    Value* p;
    explicit PendingValue(Value* v) noexcept : p(v) {}
    PendingValue(const PendingValue&) = delete;
    PendingValue& operator=(const PendingValue&) = delete;
    ~PendingValue() {
      if (p != nullptr) free_value(p);
    }
    Value* give() noexcept { return std::exchange(p, nullptr); }
    template <class F>
    bool publish(F f) {
      Value* v = give();
      if (f(v)) return true;
      p = v;
      return false;
    }
  };

  using Inner = std::unordered_map<K, Entry*, Hash, KeyEqual>;
  struct Snapshot : reclaim::Retired {
    Inner m;
    std::vector<Entry*> dead;  // expunged entries freed together with this snapshot
  };
  // The published snapshot and its `amended` bit.
  struct ReadOnly {
    Snapshot* snap;
    bool amended;
    Entry* find(const K& key) const {
      if (snap == nullptr) return nullptr;
      const Inner& m = snap->m;  // const members only: other threads read it too
      auto it = m.find(key);
      return it == m.end() ? nullptr : it->second;
    }
  };
  static constexpr std::uintptr_t kAmended = 1;
  // The loads of the pointers a reader follows (the snapshot, an entry's
  // value) and every change of an entry's value. Acquire/release would
  // carry the data; seq_cst also puts them in the single total order that
  // the reclamation argument relies on (reclaim.h), which spares the
  // reader a fence. On x86-64 a seq_cst load is a plain load, and the
  // read-modify-writes are locked instructions whatever the order.
  static constexpr std::memory_order kOrder = std::memory_order_seq_cst;
  static_assert(alignof(Snapshot) > 1, "the amended flag lives in the low bit of the snapshot pointer");

 public:
  using key_type = K;
  using mapped_type = V;

  SyncMap() = default;
  SyncMap(const SyncMap&) = delete;
  SyncMap& operator=(const SyncMap&) = delete;
  ~SyncMap();

  // The value for key, if any.
  std::optional<V> Load(const K& key) {
    reclaim::Guard pin;
    Entry* e = find_entry(key);
    if (e == nullptr) return std::nullopt;
    return load_entry(e);
  }

  void Store(const K& key, V value) {
    PendingValue nv{new_value(std::move(value))};  // before pinning: no other thread waits for it
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr && nv.publish([&](Value* v) { return try_store(e, v); })) return;

    std::lock_guard lock(mu_);
    read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) {
      // An expunged entry is in no dirty map: put it back before storing,
      // or the next promotion would lose the key.
      if (unexpunge_locked(e)) dirty_->m.emplace(key, e);
      store_locked(e, nv.give());
    } else if (Entry* d = find_dirty(key); d != nullptr) {
      store_locked(d, nv.give());
    } else {
      add_new_locked(read, key, nv);
    }
  }

  // The existing value and true, or `value` (now stored) and false.
  std::pair<V, bool> LoadOrStore(const K& key, V value) {
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) {
      if (auto r = try_load_or_store(e, value)) return std::move(*r);
    }

    std::lock_guard lock(mu_);
    read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) {
      if (unexpunge_locked(e)) dirty_->m.emplace(key, e);
      return std::move(*try_load_or_store(e, std::move(value)));
    }
    if (Entry* d = find_dirty(key); d != nullptr) {
      auto r = try_load_or_store(d, std::move(value));
      miss_locked();
      return std::move(*r);
    }
    std::pair<V, bool> result{value, false};
    PendingValue nv{new_value(std::move(value))};
    add_new_locked(read, key, nv);
    return result;
  }

  // Deletes the key, returning the value it had.
  std::optional<V> LoadAndDelete(const K& key) {
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    Entry* e = read.find(key);
    if (e == nullptr && read.amended) {
      std::lock_guard lock(mu_);
      read = load_read_only();
      e = read.find(key);
      if (e == nullptr && read.amended) {
        if (auto it = dirty_->m.find(key); it != dirty_->m.end()) {
          e = it->second;
          dirty_->m.erase(it);
          // Only dirty held it; readers that found it there are pinned.
          retire_entry(e);
        }
        miss_locked();
      }
    }
    if (e == nullptr) return std::nullopt;
    return delete_entry(e);
  }

  void Delete(const K& key) { LoadAndDelete(key); }

  // The previous value, if any; `value` is stored either way.
  std::optional<V> Swap(const K& key, V value) {
    PendingValue nv{new_value(std::move(value))};  // before pinning: no other thread waits for it
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) {
      std::optional<std::optional<V>> r;
      if (nv.publish([&](Value* v) { return (r = try_swap(e, v)).has_value(); })) return std::move(*r);
    }

    std::lock_guard lock(mu_);
    read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) {
      if (unexpunge_locked(e)) dirty_->m.emplace(key, e);
      return swap_locked(e, nv.give());
    }
    if (Entry* d = find_dirty(key); d != nullptr) return swap_locked(d, nv.give());
    add_new_locked(read, key, nv);
    return std::nullopt;
  }

  // Stores `desired` if the key holds a value equal to `expected`.
  bool CompareAndSwap(const K& key, const V& expected, V desired) {
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) return try_compare_and_swap(e, expected, std::move(desired));
    if (!read.amended) return false;  // no value for the key

    std::lock_guard lock(mu_);
    read = load_read_only();
    if (Entry* e = read.find(key); e != nullptr) return try_compare_and_swap(e, expected, std::move(desired));
    bool swapped = false;
    if (Entry* d = find_dirty(key); d != nullptr) {
      swapped = try_compare_and_swap(d, expected, std::move(desired));
      // The key needed the lock without changing the key set: a miss.
      miss_locked();
    }
    return swapped;
  }

  // Deletes the key if it holds a value equal to `expected`.
  bool CompareAndDelete(const K& key, const V& expected) {
    reclaim::Guard pin;
    // Left in dirty if found there: the compare is still to come. A nullptr
    // entry is expunged when dirty is next rebuilt.
    Entry* e = find_entry(key);
    if (e == nullptr) return false;
    for (Value* p = e->p.load(kOrder);;) {
      if (!is_value(p) || !(p->v == expected)) return false;
      if (e->p.compare_exchange_weak(p, nullptr, kOrder)) {
        retire_value(p);
        return true;
      }
    }
  }

  // Calls f(key, value) for each key until f returns false. Go's contract:
  // no key is visited twice; a key present throughout is visited; a value
  // may be the key's value from any moment during the call. f may call
  // into the map. The references are valid until f returns.
  template <class F>
  void Range(F&& f) {
    reclaim::Guard pin;
    ReadOnly read = load_read_only();
    if (read.amended) {
      // Walk a complete snapshot: promote dirty now (the cost of Range is
      // linear anyway, so this amortises).
      std::lock_guard lock(mu_);
      read = load_read_only();
      if (read.amended) {
        promote_locked();
        read = load_read_only();
      }
    }
    if (read.snap == nullptr) return;
    const Inner& m = read.snap->m;
    for (const auto& [key, e] : m) {
      Value* p = e->p.load(kOrder);
      if (!is_value(p)) continue;
      if (!f(key, static_cast<const V&>(p->v))) break;
    }
  }

  // A look inside, for tests: the shape of the two maps right now.
  struct Stats {
    bool amended;            // dirty has keys the snapshot lacks
    std::size_t read_keys;   // entries in the snapshot (deleted ones included)
    std::size_t dirty_keys;  // entries in dirty; 0 when there is no dirty map
    bool has_dirty;
    std::size_t misses;
    std::size_t expunged;    // snapshot entries expunged now
  };
  Stats stats() {
    reclaim::Guard pin;
    std::lock_guard lock(mu_);
    const ReadOnly read = load_read_only();
    Stats s{read.amended, read.snap ? read.snap->m.size() : 0, dirty_ ? dirty_->m.size() : 0,
            dirty_ != nullptr, misses_, 0};
    if (read.snap != nullptr) {
      for (const auto& kv : read.snap->m) s.expunged += kv.second->p.load(std::memory_order_relaxed) == expunged();
    }
    return s;
  }

  // Reclamation, for tests and for callers that want memory back now:
  // tries to free what has been retired. Returns how many retired objects
  // still wait (nonzero while some thread is pinned, or until the epoch
  // has moved twice: call it again).
  std::size_t collect() {
    return retired_.collect();
  }

 private:
  // ---- the snapshot -------------------------------------------------------
  ReadOnly load_read_only() const noexcept {
    // At least acquire: pairs with the release in publish(), so that the
    // snapshot's map, built under mu_ by another thread, is visible before
    // we read it. seq_cst for reclamation (see kOrder).
    const std::uintptr_t bits = read_.load(kOrder);
    return {reinterpret_cast<Snapshot*>(bits & ~kAmended), (bits & kAmended) != 0};
  }
  void publish(Snapshot* snap, bool amended) noexcept {
    // Release publishes the map built under mu_; seq_cst because replacing
    // the snapshot unlinks the old one (reclaim.h's rule for unlinks).
    read_.store(reinterpret_cast<std::uintptr_t>(snap) | (amended ? kAmended : 0), kOrder);
  }

  // The entry for key: from the read snapshot, else (when dirty has keys
  // the snapshot lacks) from dirty under the lock, counting a miss whether
  // or not the key is there, since this key takes the slow path until dirty
  // is promoted. The caller holds a reclaim::Guard.
  Entry* find_entry(const K& key) {
    ReadOnly read = load_read_only();
    Entry* e = read.find(key);
    if (e == nullptr && read.amended) {
      std::lock_guard lock(mu_);
      // Promotion may have happened while we waited for the lock.
      read = load_read_only();
      e = read.find(key);
      if (e == nullptr && read.amended) {
        e = find_dirty(key);
        miss_locked();
      }
    }
    return e;
  }

  Entry* find_dirty(const K& key) const {
    if (dirty_ == nullptr) return nullptr;
    auto it = dirty_->m.find(key);
    return it == dirty_->m.end() ? nullptr : it->second;
  }

  // A key in neither map: it goes into dirty (built first if need be),
  // and the snapshot is marked amended.
  void add_new_locked(ReadOnly read, const K& key, PendingValue& nv) {
    if (!read.amended) {
      dirty_locked();
      publish(read.snap, true);
    }
    std::unique_ptr<Entry> e(new Entry(nv.p));
    dirty_->m.emplace(key, e.get());  // if this throws, nothing was published
    e.release();
    nv.give();
  }

  // missLocked.
  void miss_locked() {
    if (++misses_ < dirty_->m.size()) return;
    promote_locked();
  }

  // dirty becomes the snapshot; the old snapshot and the entries expunged
  // from it are retired.
  void promote_locked() {
    Snapshot* old = load_read_only().snap;
    if (old != nullptr) {
      // Entries unexpunged since dirty was built are in the new snapshot.
      for (Entry* e : expunged_) {
        if (e->p.load(std::memory_order_relaxed) == expunged()) old->dead.push_back(e);
      }
    }
    expunged_.clear();
    publish(dirty_, false);
    dirty_ = nullptr;
    misses_ = 0;
    if (old != nullptr) retired_.retire(old, &reclaim_snapshot);
  }

  // dirtyLocked: dirty from the snapshot's live entries; deleted ones are
  // expunged and left out.
  void dirty_locked() {
    if (dirty_ != nullptr) return;
    dirty_ = new Snapshot;
    Snapshot* read = load_read_only().snap;
    if (read == nullptr) return;
    dirty_->m.reserve(read->m.size());
    for (const auto& [key, e] : read->m) {
      if (try_expunge_locked(e)) {
        expunged_.push_back(e);
      } else {
        dirty_->m.emplace(key, e);
      }
    }
  }

  // ---- entries (Go's entry methods) -----------------------------------------
  static Value* expunged() noexcept {
    alignas(Value) static const unsigned char tag = 0;  // an address no Value can have
    return reinterpret_cast<Value*>(const_cast<unsigned char*>(&tag));
  }
  static bool is_value(const Value* p) noexcept { return p != nullptr && p != expunged(); }

  static std::optional<V> load_entry(Entry* e) {
    Value* p = e->p.load(kOrder);
    if (!is_value(p)) return std::nullopt;
    return p->v;
  }

  // tryStore: fails only on an expunged entry.
  bool try_store(Entry* e, Value* nv) {
    Value* p = e->p.load(kOrder);
    for (;;) {
      if (p == expunged()) return false;
      if (e->p.compare_exchange_weak(p, nv, kOrder)) {
        if (p != nullptr) retire_value(p);
        return true;
      }
    }
  }

  // unexpungeLocked: true if the entry was expunged (it is nullptr now).
  static bool unexpunge_locked(Entry* e) noexcept {
    Value* expected = expunged();
    return e->p.compare_exchange_strong(expected, nullptr, kOrder);
  }

  void store_locked(Entry* e, Value* nv) {
    Value* p = e->p.exchange(nv, kOrder);
    if (p != nullptr) retire_value(p);
  }

  // tryLoadOrStore: nothing if the entry is expunged.
  std::optional<std::pair<V, bool>> try_load_or_store(Entry* e, const V& value) {
    Value* p = e->p.load(kOrder);
    if (p == expunged()) return std::nullopt;
    if (p != nullptr) return std::pair<V, bool>{p->v, true};
    auto* nv = new_value(value);
    for (;;) {
      Value* expected = nullptr;
      if (e->p.compare_exchange_strong(expected, nv, kOrder)) {
        return std::pair<V, bool>{value, false};
      }
      if (expected == expunged() || expected != nullptr) {
        free_value(nv);  // never published
        if (expected == expunged()) return std::nullopt;
        return std::pair<V, bool>{expected->v, true};
      }
    }
  }

  // trySwap: nothing if the entry is expunged, else the previous value.
  std::optional<std::optional<V>> try_swap(Entry* e, Value* nv) {
    Value* p = e->p.load(kOrder);
    for (;;) {
      if (p == expunged()) return std::nullopt;
      if (e->p.compare_exchange_weak(p, nv, kOrder)) {
        if (p == nullptr) return std::optional<V>{};
        std::optional<V> prev{p->v};
        retire_value(p);
        return prev;
      }
    }
  }

  std::optional<V> swap_locked(Entry* e, Value* nv) {
    Value* p = e->p.exchange(nv, kOrder);
    if (p == nullptr) return std::nullopt;
    std::optional<V> prev{p->v};
    retire_value(p);
    return prev;
  }

  bool try_compare_and_swap(Entry* e, const V& expected, V desired) {
    Value* p = e->p.load(kOrder);
    if (!is_value(p) || !(p->v == expected)) return false;
    // Allocate only once the compare has passed, as Go copies `new` late.
    auto* nv = new_value(std::move(desired));
    for (;;) {
      if (e->p.compare_exchange_weak(p, nv, kOrder)) {
        retire_value(p);
        return true;
      }
      if (!is_value(p) || !(p->v == expected)) {
        free_value(nv);  // never published
        return false;
      }
    }
  }

  // delete: the value it held, if any.
  std::optional<V> delete_entry(Entry* e) {
    Value* p = e->p.load(kOrder);
    for (;;) {
      if (!is_value(p)) return std::nullopt;
      if (e->p.compare_exchange_weak(p, nullptr, kOrder)) {
        std::optional<V> old{p->v};
        retire_value(p);
        return old;
      }
    }
  }

  // tryExpungeLocked: nullptr -> expunged. True if it is expunged now.
  static bool try_expunge_locked(Entry* e) noexcept {
    Value* p = e->p.load(kOrder);
    while (p == nullptr) {
      if (e->p.compare_exchange_weak(p, expunged(), kOrder)) {
        return true;
      }
    }
    return p == expunged();
  }

  // ---- reclamation -----------------------------------------------------------
  void retire_value(Value* p) { retired_.retire(p, &reclaim_value); }
  void retire_entry(Entry* e) { retired_.retire(e, &reclaim_entry); }

  static void reclaim_value(reclaim::Retired* r) noexcept { free_value(static_cast<Value*>(r)); }
  // An entry nobody can reach: its value (if it still has one) goes too.
  static void free_entry(Entry* e) noexcept {
    Value* p = e->p.load(std::memory_order_relaxed);
    if (is_value(p)) delete p;
    delete e;
  }
  static void reclaim_entry(reclaim::Retired* r) noexcept { free_entry(static_cast<Entry*>(r)); }
  static void reclaim_snapshot(reclaim::Retired* r) noexcept {
    auto* s = static_cast<Snapshot*>(r);
    for (Entry* e : s->dead) delete e;  // expunged: no value
    delete s;
  }

  sync::Mutex mu_;
  sync::Atomic<std::uintptr_t> read_{0};  // Snapshot* | kAmended; null means empty
  Snapshot* dirty_ = nullptr;            // guarded by mu_
  std::size_t misses_ = 0;               // guarded by mu_
  std::vector<Entry*> expunged_;         // guarded by mu_: expunged by the last dirty_locked
  reclaim::RetireList retired_;
};

template <class K, class V, class Hash, class KeyEqual>
SyncMap<K, V, Hash, KeyEqual>::~SyncMap() {
  // No operation runs any more: free directly what the maps hold.
  Snapshot* read = load_read_only().snap;
  if (dirty_ != nullptr) {
    // Every live entry of the snapshot is in dirty too; the others are
    // expunged and listed in expunged_ (which also lists those unexpunged
    // into dirty since: look before dirty's entries are freed).
    for (Entry* e : expunged_) {
      if (e->p.load(std::memory_order_relaxed) == expunged()) delete e;
    }
    for (const auto& [key, e] : dirty_->m) free_entry(e);
    delete dirty_;
  } else if (read != nullptr) {
    for (const auto& [key, e] : read->m) free_entry(e);
  }
  delete read;
  // retired_ frees the rest as it is destroyed.
}

}  // namespace tophash
