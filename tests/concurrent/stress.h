// tests/concurrent/stress.h: N threads run random programs of map
// operations on one map and record each call and return (monotonic clock);
// the history then goes to the linearizability checker and each Range to
// the contract check (concurrent/linearizability.h).
//
// A program is fixed by (seed, thread): which operation, which key, which
// new value. Only the expected value of a CompareAndSwap/CompareAndDelete
// depends on what the thread saw (the last value it observed for the key),
// so that those succeed often enough to matter. Every written value is
// unique: thread t's n-th value is t * 1000000 + n, readable in a report.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "linearizability.h"

namespace tophash::stress {

// Relative weights of the operations.
struct Mix {
  unsigned load = 30, store = 12, load_or_store = 10, load_and_delete = 6, del = 6, swap = 8,
           compare_and_swap = 10, compare_and_delete = 6, range = 2;
};

struct Config {
  unsigned threads = 4;
  unsigned ops_per_thread = 1000;
  std::uint64_t keys = 16;  // keys drawn from [0, keys)
  std::uint64_t seed = 1;
  Mix mix;
  // Thread t uses keys [t * keys, (t + 1) * keys) only: every key's history
  // is then sequential, and its results do not depend on the schedule.
  bool disjoint_keys = false;
};

struct Result {
  std::vector<lin::Op> ops;
  std::vector<lin::RangeCall> ranges;
};

template <class Map>
Result run(Map& map, const Config& cfg) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point origin = Clock::now();
  const auto now = [origin] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin).count();
  };
  std::vector<Result> per_thread(cfg.threads);
  std::atomic<unsigned> ready{0};

  const auto body = [&](unsigned t) {
    std::mt19937_64 rng(cfg.seed * 0x9e3779b97f4a7c15ull + t);
    const Mix& m = cfg.mix;
    const unsigned weights[] = {m.load, m.store, m.load_or_store, m.load_and_delete, m.del,
                                m.swap, m.compare_and_swap, m.compare_and_delete, m.range};
    std::discrete_distribution<unsigned> pick(std::begin(weights), std::end(weights));
    const std::uint64_t key_base = cfg.disjoint_keys ? t * cfg.keys : 0;
    std::vector<std::uint64_t> last_seen(cfg.keys, lin::kAbsent);
    std::uint64_t seq = 0;
    Result& out = per_thread[t];
    out.ops.reserve(cfg.ops_per_thread);

    ready.fetch_add(1, std::memory_order_acq_rel);
    while (ready.load(std::memory_order_acquire) != cfg.threads) std::this_thread::yield();

    for (unsigned i = 0; i < cfg.ops_per_thread; ++i) {
      const unsigned kind = pick(rng);
      const std::uint64_t slot = rng() % cfg.keys;
      const std::uint64_t key = key_base + slot;
      const std::uint64_t fresh = std::uint64_t{t} * 1000000 + ++seq;
      std::uint64_t& seen = last_seen[slot];
      const std::uint64_t expected = seen == lin::kAbsent ? fresh : seen;
      if (kind == 8) {
        lin::RangeCall r;
        r.thread = t;
        const unsigned stop_after = rng() % 4 == 0 ? 1 + rng() % 3 : ~0u;
        r.call_ns = now();
        map.Range([&](const std::uint64_t& k, const std::uint64_t& v) {
          r.seen.emplace_back(k, v);
          if (r.seen.size() >= stop_after) {
            r.stopped_early = true;
            return false;
          }
          return true;
        });
        r.return_ns = now();
        out.ranges.push_back(std::move(r));
        continue;
      }
      lin::Op op;
      op.thread = t;
      op.key = key;
      op.kind = static_cast<lin::OpKind>(kind);
      op.call_ns = now();
      switch (op.kind) {
        case lin::OpKind::kLoad:
          op.out = map.Load(key).value_or(lin::kAbsent);
          break;
        case lin::OpKind::kStore:
          op.arg = fresh;
          map.Store(key, fresh);
          break;
        case lin::OpKind::kLoadOrStore: {
          op.arg = fresh;
          auto [actual, loaded] = map.LoadOrStore(key, fresh);
          op.out = actual;
          op.ok = loaded;
          break;
        }
        case lin::OpKind::kLoadAndDelete:
          op.out = map.LoadAndDelete(key).value_or(lin::kAbsent);
          break;
        case lin::OpKind::kDelete:
          map.Delete(key);
          break;
        case lin::OpKind::kSwap:
          op.arg = fresh;
          op.out = map.Swap(key, fresh).value_or(lin::kAbsent);
          break;
        case lin::OpKind::kCompareAndSwap:
          op.arg = fresh;
          op.expected = expected;
          op.ok = map.CompareAndSwap(key, expected, fresh);
          break;
        case lin::OpKind::kCompareAndDelete:
          op.expected = expected;
          op.ok = map.CompareAndDelete(key, expected);
          break;
      }
      op.return_ns = now();
      // What this thread now believes the key holds.
      switch (op.kind) {
        case lin::OpKind::kLoad:
        case lin::OpKind::kLoadOrStore:
          seen = op.out;
          break;
        case lin::OpKind::kStore:
        case lin::OpKind::kSwap:
          seen = op.arg;
          break;
        case lin::OpKind::kCompareAndSwap:
          if (op.ok) seen = op.arg;
          break;
        default:
          seen = lin::kAbsent;
          break;
      }
      out.ops.push_back(op);
    }
  };

  std::vector<std::thread> threads;
  for (unsigned t = 0; t < cfg.threads; ++t) threads.emplace_back(body, t);
  for (auto& th : threads) th.join();

  Result all;
  for (Result& r : per_thread) {
    all.ops.insert(all.ops.end(), r.ops.begin(), r.ops.end());
    for (auto& range : r.ranges) all.ranges.push_back(std::move(range));
  }
  return all;
}

}  // namespace tophash::stress
