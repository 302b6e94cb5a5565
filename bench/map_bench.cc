// bench/map_bench.cc: BucketMap against std::unordered_map and
// absl::flat_hash_map on the workloads bench/go/main.go runs on the Go map.
//
// Benchmarks are named WORKLOAD/IMPL/SIZE; each reports items_per_second,
// one item being one operation (a put, a lookup, an entry visited, a churn
// step of one delete and one put, a delete), so ns/op = 1e9 / that rate.
// Times are CPU time, as the Go program measures.
//
//   insert      build a map of SIZE keys from empty, no reserve (the map is
//               destroyed inside the timing: Go pays its collector)
//   get_hit     look up present keys, in shuffled order
//   get_hit_seq the same in insertion order
//   find_hit    look up present keys with find (an iterator), shuffled
//   find_hit_seq the same in insertion order
//   get_miss    look up absent keys
//   iterate     visit every entry
//   churn       steady SIZE: delete the oldest key, put a fresh one
//   delete_all  delete every key, in shuffled order (the map is built
//               outside the timing)
//   str_insert  insert with std::string keys of 16-32 bytes, moved into the
//               map (Go copies a string header; the bytes are not copied)
//   str_get     look up present std::string keys
//
// The C heap is glibc's default. `--go-like-heap` makes it keep what it is
// given back (mallopt), as Go's heap keeps freed spans for reuse: by
// default glibc hands every large array back to the kernel at once and
// the next map pays fresh page faults. scripts/bench reports that setting
// (with transparent huge pages, GLIBC_TUNABLES=glibc.malloc.hugetlb=1, as
// Go's heap asks for them) only as an extra, labelled column.
//
// `map_bench --memory` prints bytes per entry instead (see print_memory);
// `map_bench --keys` fingerprints the key sets (the Go program's must match).
#include <benchmark/benchmark.h>

#include <absl/container/flat_hash_map.h>

#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "keys.h"
#include "tophash/bucket_map.h"

namespace bench {
namespace {

template <class K>
using Bucket = tophash::BucketMap<K, std::uint64_t>;
template <class K>
using Std = std::unordered_map<K, std::uint64_t>;
template <class K>
using Absl = absl::flat_hash_map<K, std::uint64_t>;

template <class M>
struct is_bucket_map : std::false_type {};
template <class K, class V, class H, class E, class A>
struct is_bucket_map<tophash::BucketMap<K, V, H, E, A>> : std::true_type {};

// The operations, spelled as a user of each map spells them.
template <class M, class K>
inline void put(M& m, K&& k, std::uint64_t v) {
  m.insert_or_assign(std::forward<K>(k), v);
}
// By get (BucketMap's pointer lookup) or, with ByFind or for the other
// maps, by find and a comparison with end().
template <bool ByFind = false, class M, class K>
inline const std::uint64_t* lookup(M& m, const K& k) {
  if constexpr (is_bucket_map<M>::value && !ByFind) {
    return m.get(k);
  } else {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  }
}

constexpr std::size_t kSizes[] = {1 << 10, 1 << 17, 1 << 20};

// Keeps a result computed in a loop without taking the variable's address
// (benchmark::DoNotOptimize(sum) would): an address-taken accumulator is
// stored on every iteration, and every map then reloads its own fields
// after that store, which measures the loop rather than the map.
inline void keep(std::uint64_t v) {
  const std::uint64_t copy = v;
  benchmark::DoNotOptimize(copy);
}

// Key sets, made once per size.
template <class T>
const std::vector<T>& cached_keys(std::size_t n, int which) {
  static std::vector<std::unique_ptr<std::vector<T>>> store(3 * 3);
  std::size_t si = n == kSizes[0] ? 0 : n == kSizes[1] ? 1 : 2;
  auto& slot = store[si * 3 + static_cast<std::size_t>(which)];
  if (!slot) {
    if constexpr (std::is_same_v<T, std::string>) {
      auto keys = string_keys(n, kStringSeed);
      if (which == 0) {
        slot = std::make_unique<std::vector<T>>(std::move(keys));
      } else {
        // Copies made in lookup order, so that reading the next lookup
        // key's bytes walks memory in order, as in the Go program.
        auto order = shuffled(keys);
        slot = std::make_unique<std::vector<T>>();
        slot->reserve(n);
        for (const auto& k : order) slot->emplace_back(k.data(), k.size());
      }
    } else if (which == 2) {
      slot = std::make_unique<std::vector<T>>(u64_keys(n, kMissSeed));
    } else {
      auto keys = u64_keys(n, kKeySeed);
      slot = std::make_unique<std::vector<T>>(which == 0 ? keys : shuffled(keys));
    }
  }
  return *slot;
}
template <class T>
const std::vector<T>& keys_in_order(std::size_t n) { return cached_keys<T>(n, 0); }
template <class T>
const std::vector<T>& keys_shuffled(std::size_t n) { return cached_keys<T>(n, 1); }
const std::vector<std::uint64_t>& keys_missing(std::size_t n) { return cached_keys<std::uint64_t>(n, 2); }

// One built map kept between the runs Google Benchmark makes of the same
// benchmark (it reruns a benchmark while it finds the iteration count), so
// a large map is built once. One slot: the next benchmark frees it.
struct FixtureSlot {
  std::string name;
  std::shared_ptr<void> obj;
};
FixtureSlot& fixture_slot() {
  static FixtureSlot slot;
  return slot;
}
template <class T, class Make>
T& fixture(const std::string& name, Make make) {
  FixtureSlot& s = fixture_slot();
  if (s.name != name) {
    s.obj.reset();
    s.obj = std::shared_ptr<T>(make());
    s.name = name;
  }
  return *static_cast<T*>(s.obj.get());
}

template <class M, class K>
M* build(const std::vector<K>& keys) {
  auto* m = new M();
  for (std::size_t i = 0; i < keys.size(); ++i) put(*m, keys[i], i);
  return m;
}

// ---- u64 workloads ---------------------------------------------------------

template <class M>
void insert(benchmark::State& st, std::size_t n) {
  const auto& keys = keys_in_order<std::uint64_t>(n);
  for (auto _ : st) {
    M m;
    for (std::size_t i = 0; i < n; ++i) put(m, keys[i], i);
    benchmark::DoNotOptimize(m.size());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}

// Lookups of present keys (u64 keys: get_hit, and get_hit_seq, find_hit
// and find_hit_seq by InOrder (insertion order, else shuffled) and ByFind;
// strings: str_get).
template <class M, class Key = std::uint64_t, bool InOrder = false, bool ByFind = false>
void get_hit(benchmark::State& st, std::size_t n, const std::string& name) {
  M& m = fixture<M>(name, [&] { return build<M>(keys_in_order<Key>(n)); });
  const auto& q = InOrder ? keys_in_order<Key>(n) : keys_shuffled<Key>(n);
  std::size_t i = 0;
  std::uint64_t sum = 0;
  for (auto _ : st) {
    sum += *lookup<ByFind>(m, q[i]);
    i = (i + 1) & (n - 1);
  }
  keep(sum);
  st.SetItemsProcessed(st.iterations());
}

template <class M>
void get_miss(benchmark::State& st, std::size_t n, const std::string& name) {
  M& m = fixture<M>(name, [&] { return build<M>(keys_in_order<std::uint64_t>(n)); });
  const auto& q = keys_missing(n);
  std::size_t i = 0, found = 0;
  for (auto _ : st) {
    found += lookup(m, q[i]) != nullptr;
    i = (i + 1) & (n - 1);
  }
  if (found != 0) st.SkipWithError("a missing key was found");
  st.SetItemsProcessed(st.iterations());
}

template <class M>
void iterate(benchmark::State& st, std::size_t n, const std::string& name) {
  M& m = fixture<M>(name, [&] { return build<M>(keys_in_order<std::uint64_t>(n)); });
  std::uint64_t sum = 0;
  for (auto _ : st) {
    for (auto&& kv : m) sum += kv.second;
  }
  keep(sum);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}

template <class M>
struct ChurnState {
  std::unique_ptr<M> m;
  std::vector<std::uint64_t> ring;  // keys present, oldest at pos
  std::size_t pos = 0;
  std::uint64_t fresh = kFreshSeed;
};

template <class M>
void churn(benchmark::State& st, std::size_t n, const std::string& name) {
  auto& c = fixture<ChurnState<M>>(name, [&] {
    auto* s = new ChurnState<M>;
    s->ring = keys_in_order<std::uint64_t>(n);
    s->m.reset(build<M>(s->ring));
    return s;
  });
  M& m = *c.m;
  for (auto _ : st) {
    m.erase(c.ring[c.pos]);
    const std::uint64_t k = splitmix64(c.fresh);
    put(m, k, k);
    c.ring[c.pos] = k;
    c.pos = (c.pos + 1) & (n - 1);
  }
  if (m.size() != n) st.SkipWithError("churn changed the size");
  st.SetItemsProcessed(st.iterations());
}

template <class M>
void delete_all(benchmark::State& st, std::size_t n) {
  const auto& keys = keys_in_order<std::uint64_t>(n);
  const auto& q = keys_shuffled<std::uint64_t>(n);
  for (auto _ : st) {
    st.PauseTiming();
    std::unique_ptr<M> m(build<M>(keys));
    st.ResumeTiming();
    for (std::size_t i = 0; i < n; ++i) m->erase(q[i]);
    st.PauseTiming();
    m.reset();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}

// ---- std::string workloads -------------------------------------------------

template <class M>
void str_insert(benchmark::State& st, std::size_t n) {
  const auto& keys = keys_in_order<std::string>(n);
  for (auto _ : st) {
    st.PauseTiming();
    std::vector<std::string> owned = keys;
    auto m = std::make_unique<M>();
    st.ResumeTiming();
    for (std::size_t i = 0; i < n; ++i) put(*m, std::move(owned[i]), i);
    benchmark::DoNotOptimize(m->size());
    st.PauseTiming();
    m.reset();
    owned.clear();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}

// ---- registration ------------------------------------------------------------

template <template <class> class Map>
void register_impl(const char* impl) {
  for (std::size_t n : kSizes) {
    auto name = [&](const char* w) { return std::string(w) + "/" + impl + "/" + std::to_string(n); };
    using U = Map<std::uint64_t>;
    using S = Map<std::string>;
    // get_hit, get_miss and iterate share one built map; churn has its own.
    const std::string u64 = std::string("u64/") + impl + "/" + std::to_string(n);
    const std::string str = std::string("str/") + impl + "/" + std::to_string(n);
    const std::string chn = std::string("churn/") + impl + "/" + std::to_string(n);
    benchmark::RegisterBenchmark(name("insert").c_str(), [n](benchmark::State& st) { insert<U>(st, n); });
    benchmark::RegisterBenchmark(name("get_hit").c_str(), [n, u64](benchmark::State& st) { get_hit<U>(st, n, u64); });
    benchmark::RegisterBenchmark(name("get_hit_seq").c_str(),
                                 [n, u64](benchmark::State& st) { get_hit<U, std::uint64_t, true>(st, n, u64); });
    benchmark::RegisterBenchmark(name("find_hit").c_str(),
                                 [n, u64](benchmark::State& st) { get_hit<U, std::uint64_t, false, true>(st, n, u64); });
    benchmark::RegisterBenchmark(name("find_hit_seq").c_str(),
                                 [n, u64](benchmark::State& st) { get_hit<U, std::uint64_t, true, true>(st, n, u64); });
    benchmark::RegisterBenchmark(name("get_miss").c_str(), [n, u64](benchmark::State& st) { get_miss<U>(st, n, u64); });
    benchmark::RegisterBenchmark(name("iterate").c_str(), [n, u64](benchmark::State& st) { iterate<U>(st, n, u64); });
    benchmark::RegisterBenchmark(name("churn").c_str(), [n, chn](benchmark::State& st) { churn<U>(st, n, chn); });
    benchmark::RegisterBenchmark(name("delete_all").c_str(), [n](benchmark::State& st) { delete_all<U>(st, n); });
    benchmark::RegisterBenchmark(name("str_insert").c_str(), [n](benchmark::State& st) { str_insert<S>(st, n); });
    benchmark::RegisterBenchmark(name("str_get").c_str(), [n, str](benchmark::State& st) { get_hit<S, std::string>(st, n, str); });
  }
}

// ---- memory ------------------------------------------------------------------

std::size_t g_live_bytes = 0;

template <class T>
struct CountingAllocator {
  using value_type = T;
  CountingAllocator() = default;
  template <class U>
  CountingAllocator(const CountingAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    g_live_bytes += n * sizeof(T);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    g_live_bytes -= n * sizeof(T);
    std::allocator<T>().deallocate(p, n);
  }
  friend bool operator==(const CountingAllocator&, const CountingAllocator&) noexcept { return true; }
};

// What a map of n keys holds through the counting allocator, built as the
// insert workload builds it; with delete_all, after deleting every key.
template <class M>
std::size_t counted_bytes(std::size_t n, bool delete_all = false) {
  const std::size_t before = g_live_bytes;
  M m;
  const auto& keys = keys_in_order<std::uint64_t>(n);
  for (std::size_t i = 0; i < n; ++i) put(m, keys[i], i);
  if (delete_all) {
    for (std::uint64_t k : keys) m.erase(k);
  }
  return g_live_bytes - before;
}

// Bytes per entry of maps built by the insert workload (u64 keys and
// values): BucketMap's allocated_bytes() and, through a counting
// allocator, what each map asked its allocator for.
// Lines: mem SIZE LOAD ALLOCATED_BYTES BUCKETMAP_COUNTED ABSL_COUNTED STD_COUNTED
// and memdel SIZE AFTER_DELETE_ALL AFTER_SHRINK_TO_FIT ABSL_AFTER_DELETE STD_AFTER_DELETE
void print_memory() {
  using Alloc = CountingAllocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using B = tophash::BucketMap<std::uint64_t, std::uint64_t, tophash::Hasher<std::uint64_t>,
                               std::equal_to<std::uint64_t>, Alloc>;
  using A = absl::flat_hash_map<std::uint64_t, std::uint64_t, absl::Hash<std::uint64_t>,
                                std::equal_to<std::uint64_t>, Alloc>;
  using S = std::unordered_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                               std::equal_to<std::uint64_t>, Alloc>;
  for (std::size_t n : kSizes) {
    B m;
    const auto& keys = keys_in_order<std::uint64_t>(n);
    for (std::size_t i = 0; i < n; ++i) put(m, keys[i], i);
    const double load = static_cast<double>(n) / static_cast<double>(std::size_t{1} << m.bucket_log2());
    std::printf("mem %zu %.3f %zu %zu %zu %zu\n", n, load, m.allocated_bytes(), counted_bytes<B>(n),
                counted_bytes<A>(n), counted_bytes<S>(n));
    // What a map holds once every key is deleted (as Go, BucketMap keeps
    // its arrays until a rebuild), then after shrink_to_fit; absl and std
    // after deleting every key, through the counting allocator.
    for (std::uint64_t k : keys) m.erase(k);
    const std::size_t deleted = m.allocated_bytes();
    m.shrink_to_fit();
    std::printf("memdel %zu %zu %zu %zu %zu\n", n, deleted, m.allocated_bytes(), counted_bytes<A>(n, true),
                counted_bytes<S>(n, true));
  }
}

// Lines: keys SIZE FNV1A, over the key sets in the order the workloads use
// them; gomap-bench -keys must print the same.
void print_key_fingerprints() {
  for (std::size_t n : kSizes) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto add = [&](unsigned char b) { h = (h ^ b) * 0x100000001b3ull; };
    for (const auto* set : {&keys_in_order<std::uint64_t>(n), &keys_shuffled<std::uint64_t>(n), &keys_missing(n)}) {
      for (std::uint64_t k : *set) {
        for (int i = 0; i < 8; ++i) add(static_cast<unsigned char>(k >> (8 * i)));
      }
    }
    for (std::uint64_t k : u64_keys(4, kFreshSeed)) {
      for (int i = 0; i < 8; ++i) add(static_cast<unsigned char>(k >> (8 * i)));
    }
    for (const std::string& s : keys_shuffled<std::string>(n)) {
      for (char c : s) add(static_cast<unsigned char>(c));
    }
    std::printf("keys %zu %016llx\n", n, static_cast<unsigned long long>(h));
  }
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--memory") == 0) {
      bench::print_memory();
      return 0;
    }
    if (std::strcmp(argv[i], "--keys") == 0) {
      bench::print_key_fingerprints();
      return 0;
    }
    if (std::strcmp(argv[i], "--go-like-heap") == 0) {
#ifdef M_MMAP_MAX
      mallopt(M_MMAP_MAX, 0);  // large blocks from the heap, not fresh mappings
      mallopt(M_TRIM_THRESHOLD, 1 << 30);  // never shrink the heap
#endif
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  bench::register_impl<bench::Bucket>("bucketmap");
  bench::register_impl<bench::Std>("std");
  bench::register_impl<bench::Absl>("absl");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
