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
// X was retired with tag t. Every operation the argument names is seq_cst
// (or a seq_cst fence), so all of them sit in one total order S, which
// C++20 ties to coherence order ([atomics.order]):
//   R:          P: pin (load E, reads e; store own state "pinned at e");
//               L: load the pointer to X (reads the value before U)
//   unlinker:   U: unlink X (a seq_cst store or RMW of that pointer);
//               T: load E (reads t, the tag)
//   advancer:   G: load E (reads g); fence F; load every state; bump E
// L read a value older than U's, so L precedes U in S; P precedes L; T
// follows U. So R's load of E precedes T in S and reads no newer value:
// e <= t. E reaching t + 2 takes an advancer whose G read t + 1, later
// than T's t, so G (and its F) follow T in S. Had it read R's state from
// before P, F would precede P in S: but P < L < U < T < G < F. So it saw
// R pinned at e <= t (and did not advance), or a later state of R, which
// means R had unpinned: X is freed only after R let go of it, and R's
// next pin cannot reach X. An object unlinked under a mutex instead (the
// entries only SyncMap's dirty map held) fits too: a reader that found it
// did so holding the mutex, after P, and the unlinker took the mutex after
// that reader, so P strongly happens before T and precedes it in S. Hence
// the rule for users of this file: a reader's pointer loads are seq_cst,
// and an unlink is a seq_cst atomic operation or is ordered after every
// reader that could see it by a mutex. On x86-64 a seq_cst load costs what
// a plain load does, and a pin is one xchg; no fence on either side.
//
// Memory orders, and what ThreadSanitizer sees. TSan does not model
// S; it needs a chain of release/acquire pairs from R's last
// read of X to the free, and there is one: R's unpin (release) or later
// re-pin (seq_cst, so release) is read by the advancer's acquire load of
// R's state, which is sequenced before its acq_rel bump of E, which the
// collector reads (acquire or stronger) before it frees. No fence is part
// of the chain.
//
// Threads. Records live in a process-wide list that only grows; a thread
// claims a free record on its first pin and gives it back when it exits,
// so the list is as long as the most threads ever alive at once. Records
// are never freed: they are reachable from the registry, so LeakSanitizer
// does not count them.
//
// Retired objects. Each map keeps its own RetireList (below). Every
// kAdvanceEvery retirements a thread tries to advance E; a map collects
// once each time it sees E has moved, freeing what has aged two steps.
// That collection waits until the thread unpins (Guard's destructor runs
// it): a pinned thread holds back every other thread's advance, and a
// pinned thread that the OS switches out holds it back for its whole time
// slice, so the pinned stretch is kept to the reads and the unlink (on a
// machine with more threads than cores this decides how much memory waits
// and how often values find a recycled node; sync_map.h). Its destructor
// frees everything still waiting: the map's destructor runs when no thread
// uses the map any more, so nothing on it can be read then.
//
// Watching it. Every atomic, the fence and the reclamation's own events
// (pin, unpin, retire, collect, free) are synchronisation points
// (sync_point.h): nothing in a normal build, a place where a test harness
// can steer the threads when TOPHASH_SYNC_HOOKS is defined. Tests may also
// define TOPHASH_RECLAIM_EAGER: every retirement then advances and
// collects at once, so an object freed too early is freed as early as
// the scheme would ever free it.
//
// Costs and limits. A pin is a thread_local lookup and a seq_cst store;
// nested pins (a Range callback that calls Load) only count depth. A
// thread that stays pinned (a long Range callback) holds back every
// map's reclamation until it unpins; memory grows meanwhile, and nothing
// is freed early.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "tophash/internal/sync_point.h"

namespace tophash::reclaim {

// One per thread, claimed on first use.
struct alignas(64) Record {
  sync::Atomic<std::uint64_t> state{0};  // 0 quiescent, else (epoch << 1) | 1
  sync::Atomic<bool> in_use{true};
  Record* next = nullptr;  // immutable once the record is published
  unsigned index = 0;      // position in the registry, immutable
  unsigned depth = 0;      // nesting of Guards; touched by the owner only
};

class Registry {
 public:
  static Registry& instance() noexcept {
    static Registry r;
    return r;
  }

  sync::Atomic<std::uint64_t>& epoch() noexcept { return epoch_; }

  Record* claim() {
    for (Record* r = head_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      bool expected = false;
      if (!r->in_use.load(std::memory_order_relaxed) &&
          r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        return r;
      }
    }
    auto* r = new Record;
    r->index = created_.fetch_add(1, std::memory_order_relaxed);
    r->next = head_.load(std::memory_order_relaxed);
    while (!head_.compare_exchange_weak(r->next, r, std::memory_order_release, std::memory_order_relaxed)) {
    }
    return r;
  }
  static void release(Record* r) noexcept { r->in_use.store(false, std::memory_order_release); }

  // E: g -> g + 1 if every pinned thread is pinned at g. Returns E after.
  std::uint64_t try_advance() noexcept {
    std::uint64_t g = epoch_.load(std::memory_order_seq_cst);
    sync::fence(std::memory_order_seq_cst);
    for (Record* r = head_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      const std::uint64_t s = r->state.load(std::memory_order_acquire);
      if ((s & 1) != 0 && (s >> 1) != g) return g;
    }
    if (epoch_.compare_exchange_strong(g, g + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return g + 1;
    return g;  // someone else advanced: g now holds the newer value
  }

 private:
  Registry() = default;
  sync::Atomic<std::uint64_t> epoch_{2};
  sync::Atomic<Record*> head_{nullptr};
  sync::Atomic<unsigned> created_{0};
};

namespace internal {
struct ThreadRecord {
  Record* rec = Registry::instance().claim();
  ~ThreadRecord() { Registry::release(rec); }
};
inline Record& this_thread_record() noexcept {
  thread_local ThreadRecord t;
  return *t.rec;
}
// The routine collection a retirement asked for, run once the thread
// unpins (Guard's destructor), so that a long collection holds back no
// other thread's epoch advance.
struct PendingCollect {
  void (*run)(void* stripe, std::uint64_t e) noexcept = nullptr;
  void* stripe = nullptr;
  std::uint64_t e = 0;
};
inline PendingCollect& pending_collect() noexcept {
  thread_local PendingCollect p;
  return p;
}
inline void run_pending_collect() noexcept {
  PendingCollect& p = pending_collect();
  if (p.run == nullptr) return;
  auto* run = p.run;
  p.run = nullptr;
  run(p.stripe, p.e);
}
}  // namespace internal

// Pins the calling thread for its lifetime. Every pointer read from a
// SyncMap is used only while a Guard is alive.
class Guard {
 public:
  Guard() : rec_(internal::this_thread_record()) {
    if (rec_.depth++ != 0) return;
    const std::uint64_t e = Registry::instance().epoch().load(std::memory_order_seq_cst);
    rec_.state.store((e << 1) | 1, std::memory_order_seq_cst);
    TOPHASH_SYNC_POINT(kPin, &rec_);
  }
  ~Guard() {
    if (--rec_.depth == 0) {
      TOPHASH_SYNC_POINT(kUnpin, &rec_);
      rec_.state.store(0, std::memory_order_release);
      internal::run_pending_collect();
    }
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

// A map's retired objects. Each thread pushes to a stripe of its own
// (threads share a stripe only beyond kStripes), so retiring threads do
// not bounce one cache line between them, and each mostly frees what it
// retired itself, which keeps the allocator's per-thread caches warm. A
// stripe holds four lock-free stacks, by tag mod 4. Pushing is one CAS; a
// collector takes a whole stack with one exchange (so there is no ABA)
// and pushes back what is not old enough. When E is at e, only the stacks
// of tags e - 2 and e - 3 (mod 4) can hold anything freeable that an
// earlier collection left, so the routine collection walks just those
// two: its cost is what it frees, not what waits. Tags are read from E
// while E may move on, so each node is still checked on its own.
class RetireList {
 public:
  // Every this many retirements a thread tries to advance the epoch.
  static constexpr unsigned kAdvanceEvery = 64;
  static constexpr unsigned kStripes = 8;

  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  ~RetireList() {
    // A collection waiting for this thread to unpin must not outlive us.
    internal::PendingCollect& p = internal::pending_collect();
    for (Stripe& stripe : stripes_) {
      if (p.stripe == &stripe) p.run = nullptr;
    }
    for (Stripe& stripe : stripes_) {
      for (auto& stack : stripe.stacks) free_chain(stack.exchange(nullptr, std::memory_order_acquire));
    }
  }

  // `r` has been unlinked: no thread that pins from now on can reach it.
  // The unlink must have been a seq_cst atomic operation (or done under a
  // mutex by which the readers found `r`), sequenced before this call: the
  // argument above needs it ordered before the tag is read.
  void retire(Retired* r, void (*reclaim)(Retired*)) {
    TOPHASH_SYNC_POINT(kRetire, r);
    Registry& reg = Registry::instance();
    Stripe& stripe = stripes_[internal::this_thread_record().index % kStripes];
    r->reclaim = reclaim;
    const std::uint64_t tag = reg.epoch().load(std::memory_order_seq_cst);
    r->retired_epoch = tag;
    push_chain(stripe.stacks[tag & 3], r, r);
#if defined(TOPHASH_RECLAIM_EAGER)
    // Reclamation torture (tests only): advance and collect on every
    // retirement, so that anything freed too early is freed at once.
    collect();
    return;
#endif
    thread_local unsigned retirements = 0;
    if (++retirements % kAdvanceEvery == 0) reg.try_advance();
    // Collect once per epoch step seen in this stripe.
    if (tag > stripe.collected_at.load(std::memory_order_relaxed)) {
      stripe.collected_at.store(tag, std::memory_order_relaxed);
      defer_collect(stripe, tag);
    }
  }

  // Tries to advance the epoch, then frees everything old enough, from
  // every stack. Returns how many retired objects still wait.
  std::size_t collect() {
    TOPHASH_SYNC_POINT(kCollect, this);
    const std::uint64_t e = Registry::instance().try_advance();
    std::size_t waiting = 0;
    for (Stripe& stripe : stripes_) waiting += collect_stacks(stripe, e, /*all=*/true);
    return waiting;
  }

 private:
  struct alignas(64) Stripe {
    sync::Atomic<Retired*> stacks[4] = {};
    sync::Atomic<std::uint64_t> collected_at{0};  // a hint: a lost update only delays a collection
  };

  // Runs the routine collection of `stripe` when the thread unpins; at
  // once if it is not pinned. A collection still waiting (a second epoch
  // step seen while pinned, in a long Range callback) runs first, so
  // none is skipped.
  static void defer_collect(Stripe& stripe, std::uint64_t e) {
    internal::run_pending_collect();
    internal::PendingCollect& p = internal::pending_collect();
    if (internal::this_thread_record().depth == 0) {
      collect_stacks(stripe, e, /*all=*/false);
      return;
    }
    p.run = &collect_later;
    p.stripe = &stripe;
    p.e = e;
  }
  static void collect_later(void* stripe, std::uint64_t e) noexcept {
    collect_stacks(*static_cast<Stripe*>(stripe), e, /*all=*/false);
  }
  static std::size_t collect_stacks(Stripe& stripe, std::uint64_t e, bool all) {
    std::size_t waiting = 0;
    for (std::uint64_t back = all ? 0 : 2; back < 4; ++back) {
      sync::Atomic<Retired*>& stack = stripe.stacks[(e - back) & 3];
      if (stack.load(std::memory_order_relaxed) == nullptr) continue;
      Retired* chain = stack.exchange(nullptr, std::memory_order_acquire);
      Retired* keep_head = nullptr;
      Retired* keep_tail = nullptr;
      while (chain != nullptr) {
        Retired* next = chain->next_retired;
        if (chain->retired_epoch + 2 <= e) {
          TOPHASH_SYNC_POINT(kFree, chain);
          chain->reclaim(chain);
        } else {
          chain->next_retired = keep_head;
          keep_head = chain;
          if (keep_tail == nullptr) keep_tail = chain;
          ++waiting;
        }
        chain = next;
      }
      if (keep_head != nullptr) push_chain(stack, keep_head, keep_tail);
    }
    return waiting;
  }
  static void push_chain(sync::Atomic<Retired*>& stack, Retired* first, Retired* last) noexcept {
    last->next_retired = stack.load(std::memory_order_relaxed);
    while (!stack.compare_exchange_weak(last->next_retired, first, std::memory_order_release,
                                        std::memory_order_relaxed)) {
    }
  }
  static void free_chain(Retired* r) noexcept {
    while (r != nullptr) {
      Retired* next = r->next_retired;
      TOPHASH_SYNC_POINT(kFree, r);
      r->reclaim(r);
      r = next;
    }
  }

  Stripe stripes_[kStripes];
};

}  // namespace tophash::reclaim
