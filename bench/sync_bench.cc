// bench/sync_bench.cc: SyncMap against LockedMap and a std::mutex-guarded
// std::unordered_map, under real threads. bench/gosync/main.go runs the
// same mixes on Go 1.19's sync.Map, with the same keys and the same
// operation sequences; scripts/bench-sync runs both, interleaved, and
// writes the results file. bench/README.md defines the mixes.
//
//   sync_bench [--maps syncmap,locked,mutex] [--mix M] [--threads N]
//              [--time S] [--warmup S]
//   sync_bench --check    fingerprints of the keys and of each mix's first
//                         operations (must match gosync-bench -check)
//
// Every thread runs its operations until a shared deadline, checking the
// clock every kBatch operations (every Range call in the Range mix): a
// warm-up first, then the measured span. Each thread counts its
// operations over its own measured span; a line per map:
//
//   sync MAP MIX THREADS OPS_PER_S BACKGROUND_OPS_PER_S
//
// OPS_PER_S is the sum over the threads of operations per second of wall
// time; in the Range mix it is the entries the ranging thread visits per
// second, and BACKGROUND_OPS_PER_S the Load/Store operations per second of
// the other threads (0 in the other mixes).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "keys.h"
#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace {

using Key = std::uint64_t;
using Value = std::uint64_t;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kKeys = 1024;          // the key set: bench::u64_keys(kKeys, kKeySeed)
constexpr std::uint64_t kOpSeed = 0x100;     // thread t draws from splitmix64 seeded kOpSeed + t
constexpr unsigned kBatch = 64;              // operations between two looks at the clock
constexpr std::size_t kCheckOps = 100000;    // operations fingerprinted by --check

// ---- the mixes ----------------------------------------------------------------
// One draw r = splitmix64(state) per operation: the key is keys[r % kKeys],
// the operation is chosen by (r >> 32) % 100 against the cumulative
// percentages below (Load, Store, Delete, LoadOrStore, in that order), and
// a stored value is r itself.
enum class Op { kLoad, kStore, kDelete, kLoadOrStore };
struct Mix {
  const char* name;
  unsigned load, store, del, load_or_store;  // percentages, summing to 100
};
constexpr Mix kReadMostly{"read_mostly", 99, 1, 0, 0};
constexpr Mix kWriteHeavy{"write_heavy", 25, 50, 25, 0};
constexpr Mix kLoadOrStore{"load_or_store", 0, 0, 10, 90};
// The Range mix: thread 0 ranges over the whole map again and again; the
// other threads (if any) run this mix meanwhile.
constexpr Mix kRangeBackground{"range", 50, 50, 0, 0};
constexpr Mix kMixes[] = {kReadMostly, kWriteHeavy, kLoadOrStore, kRangeBackground};

Op pick(const Mix& m, std::uint64_t r) {
  const unsigned c = static_cast<unsigned>((r >> 32) % 100);
  if (c < m.load) return Op::kLoad;
  if (c < m.load + m.store) return Op::kStore;
  if (c < m.load + m.store + m.del) return Op::kDelete;
  return Op::kLoadOrStore;
}

// ---- the baseline: a std::unordered_map under a std::mutex -----------------------
class MutexMap {
 public:
  std::optional<Value> Load(const Key& k) {
    std::lock_guard lock(mu_);
    auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  void Store(const Key& k, Value v) {
    std::lock_guard lock(mu_);
    m_.insert_or_assign(k, v);
  }
  void Delete(const Key& k) {
    std::lock_guard lock(mu_);
    m_.erase(k);
  }
  std::pair<Value, bool> LoadOrStore(const Key& k, Value v) {
    std::lock_guard lock(mu_);
    auto [it, added] = m_.try_emplace(k, v);
    return {it->second, !added};
  }
  template <class F>
  void Range(F&& f) {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : m_) {
      if (!f(k, v)) break;
    }
  }

 private:
  std::mutex mu_;
  std::unordered_map<Key, Value> m_;
};

// ---- one measurement -----------------------------------------------------------
struct Deadlines {
  Clock::time_point measure;  // the warm-up ends, the measured span begins
  Clock::time_point stop;
};
struct ThreadResult {
  double ops_per_s = 0;
  std::uint64_t sink = 0;
};

template <class Map>
std::uint64_t do_op(Map& m, Op op, Key k, std::uint64_t r) {
  switch (op) {
    case Op::kLoad:
      if (auto v = m.Load(k)) return *v;
      return 0;
    case Op::kStore:
      m.Store(k, r);
      return 0;
    case Op::kDelete:
      m.Delete(k);
      return 0;
    case Op::kLoadOrStore:
      return m.LoadOrStore(k, r).first;
  }
  return 0;
}

// Runs `mix` until the deadlines pass; the operations of the measured span
// per second.
template <class Map>
ThreadResult run_ops(Map& m, const std::vector<Key>& keys, const Mix& mix, unsigned t, Deadlines d) {
  std::uint64_t state = kOpSeed + t, sum = 0, n = 0;
  auto batch = [&] {
    for (unsigned i = 0; i < kBatch; ++i) {
      const std::uint64_t r = bench::splitmix64(state);
      sum += do_op(m, pick(mix, r), keys[r % kKeys], r);
    }
  };
  while (Clock::now() < d.measure) batch();
  const auto t0 = Clock::now();
  Clock::time_point t1;
  do {
    batch();
    n += kBatch;
  } while ((t1 = Clock::now()) < d.stop);
  return {n / std::chrono::duration<double>(t1 - t0).count(), sum};
}

// Ranges over the whole map until the deadlines pass; entries visited per
// second of the measured span.
template <class Map>
ThreadResult run_range(Map& m, Deadlines d) {
  std::uint64_t sum = 0, n = 0;
  auto pass = [&] {
    m.Range([&](const Key&, const Value& v) {
      sum += v;
      ++n;
      return true;
    });
  };
  while (Clock::now() < d.measure) pass();
  n = 0;
  const auto t0 = Clock::now();
  Clock::time_point t1;
  do pass();
  while ((t1 = Clock::now()) < d.stop);
  return {n / std::chrono::duration<double>(t1 - t0).count(), sum};
}

// Where the threads' sums go, so that no load is optimised away.
std::atomic<std::uint64_t> g_sink{0};

template <class Map>
std::pair<double, double> measure(const std::vector<Key>& keys, const Mix& mix, unsigned threads, double warmup,
                                  double seconds) {
  Map m;
  for (std::size_t i = 0; i < keys.size(); ++i) m.Store(keys[i], i);
  m.Range([](const Key&, const Value&) { return true; });  // SyncMap and Go promote their dirty map here
  const bool range = std::strcmp(mix.name, kRangeBackground.name) == 0;
  std::vector<ThreadResult> results(threads);
  std::vector<std::thread> pool;
  // Leave the threads a moment to start before the clock runs.
  const auto start = Clock::now() + std::chrono::milliseconds(5);
  const Deadlines d{start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup)),
                    start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup + seconds))};
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (Clock::now() < start) {
      }
      results[t] = range && t == 0 ? run_range(m, d) : run_ops(m, keys, mix, t, d);
    });
  }
  for (auto& th : pool) th.join();
  double main = 0, background = 0;
  for (unsigned t = 0; t < threads; ++t) {
    (range && t != 0 ? background : main) += results[t].ops_per_s;
    g_sink.fetch_add(results[t].sink, std::memory_order_relaxed);
  }
  return {main, background};
}

using Sync = tophash::SyncMap<Key, Value>;
using Locked = tophash::LockedMap<Key, Value>;

// ---- --check: what must match the Go program -----------------------------------
std::uint64_t fnv(std::uint64_t h, std::uint64_t x) {
  for (int i = 0; i < 8; ++i, x >>= 8) h = (h ^ (x & 0xff)) * 0x100000001b3ull;
  return h;
}

void print_check(const std::vector<Key>& keys) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (Key k : keys) h = fnv(h, k);
  std::printf("keys %zu %016llx\n", keys.size(), static_cast<unsigned long long>(h));
  for (const Mix& mix : kMixes) {
    for (unsigned t = 0; t < 2; ++t) {
      std::uint64_t state = kOpSeed + t, f = 0xcbf29ce484222325ull;
      for (std::size_t i = 0; i < kCheckOps; ++i) {
        const std::uint64_t r = bench::splitmix64(state);
        f = fnv(fnv(f, static_cast<std::uint64_t>(pick(mix, r))), keys[r % kKeys]);
      }
      std::printf("ops %s thread %u %016llx\n", mix.name, t, static_cast<unsigned long long>(f));
    }
  }
}

// ---- the command line ------------------------------------------------------------
[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr,
               "sync_bench: %s\nusage: sync_bench [--maps syncmap,locked,mutex] [--mix M] [--threads N] "
               "[--time S] [--warmup S] | --check\n",
               msg.c_str());
  std::exit(2);
}

double seconds_arg(const char* opt, const char* s) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v > 0) || v > 600) usage_error(std::string(opt) + " wants seconds in (0, 600], not '" + s + "'");
  return v;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  for (std::size_t j; (j = s.find(',', i)) != std::string::npos; i = j + 1) out.push_back(s.substr(i, j - i));
  out.push_back(s.substr(i));
  return out;
}

struct Options {
  std::vector<std::string> maps{"syncmap", "locked", "mutex"};
  const Mix* mix = &kReadMostly;
  unsigned threads = 1;
  double seconds = 0.4, warmup = 0.1;
  bool check = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--check") {
      o.check = true;
      continue;
    }
    if (i + 1 >= argc) usage_error(std::string(a) + (a.rfind("--", 0) == 0 ? " needs a value" : ": unknown argument"));
    const char* v = argv[++i];
    if (a == "--maps") {
      o.maps = split(v);
      for (const auto& m : o.maps) {
        if (m != "syncmap" && m != "locked" && m != "mutex") usage_error("unknown map '" + m + "' (syncmap, locked, mutex)");
      }
    } else if (a == "--mix") {
      o.mix = nullptr;
      for (const Mix& m : kMixes) {
        if (m.name == std::string_view(v)) o.mix = &m;
      }
      if (o.mix == nullptr) usage_error(std::string("unknown mix '") + v + "' (read_mostly, write_heavy, load_or_store, range)");
    } else if (a == "--threads") {
      char* end = nullptr;
      const long n = std::strtol(v, &end, 10);
      if (end == v || *end != '\0' || n < 1 || n > 1024) usage_error(std::string("--threads wants 1..1024, not '") + v + "'");
      o.threads = static_cast<unsigned>(n);
    } else if (a == "--time") {
      o.seconds = seconds_arg("--time", v);
    } else if (a == "--warmup") {
      o.warmup = seconds_arg("--warmup", v);
    } else {
      usage_error("unknown argument '" + std::string(a) + "'");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::vector<Key> keys = bench::u64_keys(kKeys, bench::kKeySeed);
  if (o.check) {
    print_check(keys);
    return 0;
  }
  for (const std::string& name : o.maps) {
    std::pair<double, double> r;
    if (name == "syncmap") {
      r = measure<Sync>(keys, *o.mix, o.threads, o.warmup, o.seconds);
    } else if (name == "locked") {
      r = measure<Locked>(keys, *o.mix, o.threads, o.warmup, o.seconds);
    } else {
      r = measure<MutexMap>(keys, *o.mix, o.threads, o.warmup, o.seconds);
    }
    std::printf("sync %s %s %u %.0f %.0f\n", name.c_str(), o.mix->name, o.threads, r.first, r.second);
    std::fflush(stdout);
  }
  return 0;
}
