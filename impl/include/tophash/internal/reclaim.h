// tophash/internal/reclaim.h: epoch-based memory reclamation, the scheme
// SyncMap frees its memory by.
//
// The problem. SyncMap's readers take no lock: a Load reads the read-only
// snapshot, an entry in it and the value the entry points to, while a
// writer may at that moment replace any of the three. A writer that unlinks
// an object therefore cannot free it at once; a reader may still be reading
// it. Epochs tell when no reader can be.
//
// The scheme (Fraser's epoch-based reclamation, as crossbeam-epoch does it):
//
//   - A global epoch E counts up from 2.
//   - Each thread owns a Record whose state is either quiescent (0) or
//     "pinned at epoch e" ((e << 1) | 1). An operation pins before it reads
//     any shared pointer and unpins when it holds none any more (Guard).
//   - A writer that has unlinked an object retires it, tagged with the value
//     of E it reads after the unlink.
//   - E moves from g to g + 1 only when every pinned thread is pinned at g.
//   - An object tagged t is freed once E >= t + 2.
//
// Why a freed object is not being read. Say reader R reached object X and
// X was retired with tag t. R read the pointer to X before the unlink
// (otherwise it could not have reached X), so its pin happened before the
// unlink, and the epoch R pinned at is <= t (the seq_cst fences after the
// pin and after the unlink order the two: had R read an epoch newer than t,
// the unlinker's fence would precede R's in the single total order and R
// would have seen the unlink). While R stays pinned at e <= t, E can reach
// e + 1 <= t + 1 but never t + 2, because that step needs R pinned at
// t + 1. So X is freed only after R has unpinned, and R's next pin cannot
// reach X any more.
//
// Memory orders, and why TSan sees the same argument. Pin: the state is
// stored with release, then a seq_cst fence (the store-load barrier the
// argument above needs: the pin must be visible before the pointers are
// read). Unpin: release store of 0. Advance: the states are loaded with
// acquire and E is bumped with acq_rel. Collect: E is loaded with acquire.
// So every read R made of X happens before R's unpin (or re-pin), which
// happens before the advancer's acquire load of R's state, which happens
// before the bump of E, which happens before the collector's acquire load
// of E, which happens before the free: a chain of release/acquire pairs
// that ThreadSanitizer follows (it does not model fences, and none of the
// happens-before it needs comes from one).
//
// Threads. Records live in a process-wide list that only grows; a thread
// claims a free record on its first pin and gives it back when it exits,
// so the list is as long as the most threads ever alive at once. Records
// are never freed: they are reachable from the registry, so LeakSanitizer
// does not count them.
//
// Retired objects. Each map keeps its own RetireList, a lock-free stack
// (push by CAS, collection takes the whole stack with one exchange, so
// there is no ABA). Every kCollectEvery retirements the retiring thread
// tries to advance E and frees what has aged two epochs. The list's
// destructor frees everything still on it; the map's destructor runs when
// no thread uses the map any more, so nothing on it can be read then.
//
// Costs and limits. A pin is a thread_local lookup, a store and a fence;
// nested pins (a Range callback that calls Load) only count depth. A
// thread that stays pinned (a long Range callback) holds back every
// map's reclamation until it unpins; memory grows meanwhile, and nothing
// is freed early.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tophash::reclaim {

// One per thread, claimed on first use.
struct alignas(64) Record {
  std::atomic<std::uint64_t> state{0};  // 0 quiescent, else (epoch << 1) | 1
  std::atomic<bool> in_use{true};
  Record* next = nullptr;  // immutable once the record is published
  unsigned depth = 0;      // nesting of Guards; touched by the owner only
};

class Registry {
 public:
  static Registry& instance() noexcept {
    static Registry r;
    return r;
  }

  std::atomic<std::uint64_t>& epoch() noexcept { return epoch_; }

  Record* claim() {
    for (Record* r = head_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      bool expected = false;
      if (!r->in_use.load(std::memory_order_relaxed) &&
          r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        return r;
      }
    }
    auto* r = new Record;
    r->next = head_.load(std::memory_order_relaxed);
    while (!head_.compare_exchange_weak(r->next, r, std::memory_order_release, std::memory_order_relaxed)) {
    }
    return r;
  }
  static void release(Record* r) noexcept { r->in_use.store(false, std::memory_order_release); }

  // E: g -> g + 1 if every pinned thread is pinned at g. Returns E after.
  std::uint64_t try_advance() noexcept {
    std::uint64_t g = epoch_.load(std::memory_order_acquire);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (Record* r = head_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      const std::uint64_t s = r->state.load(std::memory_order_acquire);
      if ((s & 1) != 0 && (s >> 1) != g) return g;
    }
    if (epoch_.compare_exchange_strong(g, g + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return g + 1;
    return g;  // someone else advanced: g now holds the newer value
  }

 private:
  Registry() = default;
  std::atomic<std::uint64_t> epoch_{2};
  std::atomic<Record*> head_{nullptr};
};

namespace internal {
struct ThreadRecord {
  Record* rec = Registry::instance().claim();
  ~ThreadRecord() { Registry::release(rec); }
};
inline Record& this_thread_record() {
  thread_local ThreadRecord t;
  return *t.rec;
}
}  // namespace internal

// Pins the calling thread for its lifetime. Every pointer read from a
// SyncMap is used only while a Guard is alive.
class Guard {
 public:
  Guard() : rec_(internal::this_thread_record()) {
    if (rec_.depth++ != 0) return;
    const std::uint64_t e = Registry::instance().epoch().load(std::memory_order_relaxed);
    rec_.state.store((e << 1) | 1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  ~Guard() {
    if (--rec_.depth == 0) rec_.state.store(0, std::memory_order_release);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  Record& rec_;
};

// Header of anything that can be retired; the owner derives from it.
struct Retired {
  Retired* next_retired = nullptr;
  std::uint64_t retired_epoch = 0;
  void (*reclaim)(Retired*) = nullptr;
};

class RetireList {
 public:
  static constexpr std::size_t kCollectEvery = 64;

  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  ~RetireList() { free_chain(head_.exchange(nullptr, std::memory_order_acquire)); }

  // `r` has been unlinked: no thread that pins from now on can reach it.
  void retire(Retired* r, void (*reclaim)(Retired*)) {
    r->reclaim = reclaim;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    r->retired_epoch = Registry::instance().epoch().load(std::memory_order_acquire);
    pending_.fetch_add(1, std::memory_order_relaxed);  // before a collector can free it
    push_chain(r, r);
    if (retirements_.fetch_add(1, std::memory_order_relaxed) % kCollectEvery == kCollectEvery - 1) collect();
  }

  // Tries to advance the epoch, then frees what has aged two epochs.
  void collect() {
    const std::uint64_t e = Registry::instance().try_advance();
    Retired* all = head_.exchange(nullptr, std::memory_order_acquire);
    Retired* keep_head = nullptr;
    Retired* keep_tail = nullptr;
    std::size_t freed = 0;
    while (all != nullptr) {
      Retired* next = all->next_retired;
      if (all->retired_epoch + 2 <= e) {
        all->reclaim(all);
        ++freed;
      } else {
        all->next_retired = keep_head;
        keep_head = all;
        if (keep_tail == nullptr) keep_tail = all;
      }
      all = next;
    }
    if (keep_head != nullptr) push_chain(keep_head, keep_tail);
    pending_.fetch_sub(freed, std::memory_order_relaxed);
  }

  // Retired objects not freed yet.
  std::size_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

 private:
  void push_chain(Retired* first, Retired* last) noexcept {
    last->next_retired = head_.load(std::memory_order_relaxed);
    while (!head_.compare_exchange_weak(last->next_retired, first, std::memory_order_release,
                                        std::memory_order_relaxed)) {
    }
  }
  static void free_chain(Retired* r) noexcept {
    while (r != nullptr) {
      Retired* next = r->next_retired;
      r->reclaim(r);
      r = next;
    }
  }

  std::atomic<Retired*> head_{nullptr};
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> retirements_{0};
};

}  // namespace tophash::reclaim
