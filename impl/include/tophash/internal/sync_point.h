// tophash/internal/sync_point.h: the synchronisation points of the
// concurrent maps, where a test harness may watch and steer them.
//
// SyncMap, LockedMap and the epoch reclamation (reclaim.h) touch shared
// memory only through the names below: Atomic<T> for atomics, Mutex and
// SharedMutex for locks, fence() for fences, and TOPHASH_SYNC_POINT for the
// reclamation's own events (pin, unpin, retire, collect, free).
//
// In a normal build these are std::atomic<T>, std::mutex,
// std::shared_mutex, std::atomic_thread_fence and nothing: aliases and an
// empty macro, so the code generated is the code without this file.
//
// A build that defines TOPHASH_SYNC_HOOKS gets thin wrappers instead. Each
// operation first tells the Observer installed with set_observer() (if
// any) which point it is at, with the object's address and the memory
// order, and the observer may block there: a deterministic scheduler lets
// exactly one thread run and picks which one at every point. The observer
// may also model stores that are not sequentially consistent as sitting
// in a per-thread store buffer (x86-TSO: a later load of another location
// may be satisfied before such a store is visible to other threads), which
// is how a weakened store order becomes observable: buffer_store() takes
// the store, forward_load() answers the thread's own loads from its
// buffer, and drain() empties it (read-modify-writes, sequentially
// consistent stores and fences, lock and unlock drain, as they do on
// x86-64). Without an observer the wrappers behave as the plain types.
//
// This file knows no harness: the observer is an interface, and whoever
// installs one (a scheduler, a delay injector) lives outside impl/.
#pragma once

#include <atomic>
#include <mutex>
#include <shared_mutex>

#if defined(TOPHASH_SYNC_HOOKS)
#include <cstdint>
#include <cstring>
#include <type_traits>
#endif

namespace tophash::sync {

#if !defined(TOPHASH_SYNC_HOOKS)

template <class T>
using Atomic = std::atomic<T>;
using Mutex = std::mutex;
using SharedMutex = std::shared_mutex;
inline void fence(std::memory_order mo) noexcept { std::atomic_thread_fence(mo); }
#define TOPHASH_SYNC_POINT(kind, addr) ((void)0)

#else

enum class Point : std::uint8_t {
  kLoad,          // an atomic load
  kLoaded,        // just after an atomic load: the thread holds the value (a
                  // pointer it may follow next, with no other point between)
  kStore,         // an atomic store
  kRmw,           // exchange, compare-exchange, fetch-add
  kFence,         // atomic_thread_fence
  kLock,          // about to take a mutex exclusively
  kLockShared,    // about to take a shared mutex shared
  kUnlock,        // about to release an exclusive lock
  kUnlockShared,  // about to release a shared lock
  kPin,           // reclaim: the thread has pinned (outermost Guard)
  kUnpin,         // reclaim: about to unpin
  kRetire,        // reclaim: an object is being retired
  kCollect,       // reclaim: a collection starts
  kFree,          // reclaim: a retired object is about to be freed
};

class Observer {
 public:
  virtual ~Observer() = default;
  // The calling thread is at `p` on the object at `addr`; returns when the
  // thread may go on and perform it.
  virtual void at(Point p, const void* addr, std::memory_order mo) = 0;
  // A store weaker than seq_cst: true if the observer buffered it (then it
  // calls apply(addr, bits) when the store becomes visible).
  virtual bool buffer_store(void* addr, std::uint64_t bits, void (*apply)(void*, std::uint64_t)) = 0;
  // A load: true if the calling thread's own buffer has a newer value.
  virtual bool forward_load(const void* addr, std::uint64_t* bits) = 0;
  // Makes the calling thread's buffered stores visible, oldest first.
  virtual void drain() = 0;
};

inline std::atomic<Observer*>& observer_slot() noexcept {
  static std::atomic<Observer*> slot{nullptr};
  return slot;
}
inline Observer* observer() noexcept { return observer_slot().load(std::memory_order_acquire); }
// Installs `o` (nullptr: none). Only while no map operation runs.
inline void set_observer(Observer* o) noexcept { observer_slot().store(o, std::memory_order_release); }

inline void point(Point p, const void* addr, std::memory_order mo = std::memory_order_seq_cst) {
  if (Observer* o = observer()) o->at(p, addr, mo);
}
#define TOPHASH_SYNC_POINT(kind, addr) ::tophash::sync::point(::tophash::sync::Point::kind, (addr))

template <class T>
class Atomic {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= sizeof(std::uint64_t),
                "the store buffer keeps values as 64-bit words");

 public:
  constexpr Atomic() noexcept : a_() {}
  constexpr Atomic(T v) noexcept : a_(v) {}  // NOLINT: as std::atomic
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order mo = std::memory_order_seq_cst) const noexcept {
    if (Observer* o = observer()) {
      o->at(Point::kLoad, this, mo);
      std::uint64_t bits;
      const T v = o->forward_load(this, &bits) ? from_bits(bits) : a_.load(mo);
      o->at(Point::kLoaded, this, mo);
      return v;
    }
    return a_.load(mo);
  }
  void store(T v, std::memory_order mo = std::memory_order_seq_cst) noexcept {
    if (Observer* o = observer()) {
      o->at(Point::kStore, this, mo);
      if (mo != std::memory_order_seq_cst && o->buffer_store(this, to_bits(v), &apply)) return;
      o->drain();  // a seq_cst store is an xchg on x86-64: it drains first
    }
    a_.store(v, mo);
  }
  T exchange(T v, std::memory_order mo = std::memory_order_seq_cst) noexcept {
    rmw(mo);
    return a_.exchange(v, mo);
  }
  // Compare-exchange, weak or strong, with one order or a success and a
  // failure order: a read-modify-write point, then the real operation.
  bool compare_exchange_weak(T& e, T d, std::memory_order mo = std::memory_order_seq_cst) noexcept {
    return rmw(mo), a_.compare_exchange_weak(e, d, mo);
  }
  bool compare_exchange_weak(T& e, T d, std::memory_order s, std::memory_order f) noexcept {
    return rmw(s), a_.compare_exchange_weak(e, d, s, f);
  }
  bool compare_exchange_strong(T& e, T d, std::memory_order mo = std::memory_order_seq_cst) noexcept {
    return rmw(mo), a_.compare_exchange_strong(e, d, mo);
  }
  bool compare_exchange_strong(T& e, T d, std::memory_order s, std::memory_order f) noexcept {
    return rmw(s), a_.compare_exchange_strong(e, d, s, f);
  }
  T fetch_add(T d, std::memory_order mo = std::memory_order_seq_cst) noexcept {
    rmw(mo);
    return a_.fetch_add(d, mo);
  }

 private:
  void rmw(std::memory_order mo) const noexcept {
    if (Observer* o = observer()) {
      o->at(Point::kRmw, this, mo);
      o->drain();
    }
  }
  static std::uint64_t to_bits(T v) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    return bits;
  }
  static T from_bits(std::uint64_t bits) noexcept {
    T v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  static void apply(void* self, std::uint64_t bits) noexcept {
    static_cast<Atomic*>(self)->a_.store(from_bits(bits), std::memory_order_relaxed);
  }

  std::atomic<T> a_;
};

inline void fence(std::memory_order mo) noexcept {
  if (Observer* o = observer()) {
    o->at(Point::kFence, nullptr, mo);
    if (mo == std::memory_order_seq_cst) o->drain();
  }
  std::atomic_thread_fence(mo);
}

// A lock is a full barrier on x86-64: taking and releasing it drain.
class Mutex {
 public:
  void lock() {
    if (Observer* o = observer()) {
      o->at(Point::kLock, this, std::memory_order_acquire);
      o->drain();
    }
    m_.lock();
  }
  void unlock() {
    if (Observer* o = observer()) {
      o->at(Point::kUnlock, this, std::memory_order_release);
      o->drain();
    }
    m_.unlock();
  }

 private:
  std::mutex m_;
};

class SharedMutex {
 public:
  void lock() {
    hook(Point::kLock);
    m_.lock();
  }
  void unlock() {
    hook(Point::kUnlock);
    m_.unlock();
  }
  void lock_shared() {
    hook(Point::kLockShared);
    m_.lock_shared();
  }
  void unlock_shared() {
    hook(Point::kUnlockShared);
    m_.unlock_shared();
  }

 private:
  void hook(Point p) {
    if (Observer* o = observer()) {
      o->at(p, this, std::memory_order_seq_cst);
      o->drain();
    }
  }
  std::shared_mutex m_;
};

#endif  // TOPHASH_SYNC_HOOKS

}  // namespace tophash::sync
