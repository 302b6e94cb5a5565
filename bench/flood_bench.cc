// bench/flood_bench.cc: BucketMap under hash flooding, with a hash an
// attacker controls: every key to one bucket with one tophash ("one"), or
// to one of eight buckets ("few"). bench/flood/main.go runs the same
// workloads on the Go 1.19 runtime map with the same keys and the same
// hashes; scripts/bench-flood runs both and writes the results file.
//
//   flood_bench [--workloads insert,get_hit,get_miss,delete] [--modes one,few]
//               [--sizes 64,256,...] [--mintime 0.1]
//   flood_bench --memory   B, overflow buckets and allocated bytes of each map built
//   flood_bench --keys     a fingerprint of the key sets
//
// Output, one line per measurement (process CPU time per operation):
//
//   cpp WORKLOAD MODE N NS_PER_OP
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keys.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"

namespace {

// The colliding hashes (bench/flood/main.go uses the same); the seed is
// ignored, as an attacker who knows the hash function ignores it.
constexpr std::uint64_t kOneHash = 0x6a09e667f3bcc908ull;
constexpr std::uint64_t kFewBase = 0xbb67ae8584caa738ull & ~std::uint64_t{7};

struct OneHash {
  std::uint64_t operator()(std::uint64_t, std::uint64_t) const noexcept { return kOneHash; }
};
struct FewHash {
  std::uint64_t operator()(std::uint64_t k, std::uint64_t) const noexcept { return kFewBase | (k & 7); }
};

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "flood_bench: %s\n", msg.c_str());
  std::exit(2);
}

// Process CPU time, as the Go side measures it.
std::int64_t cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// One pass over the keys: the CPU time it measured and its operations.
struct Round {
  std::int64_t ns;
  std::size_t ops;
};

// Runs `round` once unmeasured, then until min_ns of measured time is spent.
double measure(std::int64_t min_ns, const std::function<Round()>& round) {
  round();
  std::int64_t spent = 0;
  std::size_t ops = 0;
  while (spent < min_ns) {
    const Round r = round();
    spent += r.ns;
    ops += r.ops;
  }
  return static_cast<double>(spent) / static_cast<double>(ops);
}

std::uint64_t sink = 0;

template <class Hash>
using Map = tophash::BucketMap<std::uint64_t, std::uint64_t, Hash>;

template <class Hash>
void build(Map<Hash>& m, const std::vector<std::uint64_t>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) m.insert_or_assign(keys[i], i);
}

template <class Hash>
std::function<Round()> workload(const std::string& name, std::size_t n) {
  auto present = std::make_shared<std::vector<std::uint64_t>>(bench::u64_keys(n, bench::kKeySeed));
  auto order = std::make_shared<std::vector<std::uint64_t>>(bench::shuffled(*present));
  if (name == "insert") {
    return [=] {
      const std::int64_t t = cpu_ns();
      Map<Hash> m;
      build(m, *present);
      const std::int64_t d = cpu_ns() - t;
      sink += m.size();
      return Round{d, n};
    };
  }
  if (name == "get_hit" || name == "get_miss") {
    auto m = std::make_shared<Map<Hash>>();
    build(*m, *present);
    if (name == "get_miss") *order = bench::u64_keys(n, bench::kMissSeed);
    const bool miss = name == "get_miss";
    return [=] {
      std::uint64_t sum = 0;
      const std::int64_t t = cpu_ns();
      for (std::uint64_t k : *order) {
        if (const std::uint64_t* v = m->get(k)) sum += *v;
      }
      const std::int64_t d = cpu_ns() - t;
      if (miss && sum != 0) fail("get_miss found a key");
      sink += sum;
      return Round{d, n};
    };
  }
  if (name == "delete") {
    return [=] {
      Map<Hash> m;
      build(m, *present);
      const std::int64_t t = cpu_ns();
      for (std::uint64_t k : *order) m.erase(k);
      const std::int64_t d = cpu_ns() - t;
      if (!m.empty()) fail("delete left " + std::to_string(m.size()) + " keys");
      return Round{d, n};
    };
  }
  fail("unknown workload '" + name + "' (insert, get_hit, get_miss, delete)");
}

template <class Hash>
void memory(const std::string& mode, std::size_t n) {
  Map<Hash> m;
  build(m, bench::u64_keys(n, bench::kKeySeed));
  std::printf("mem cpp %s %zu %u %zu %zu\n", mode.c_str(), n, unsigned{m.bucket_log2()},
              tophash::debug::BucketMapAccess::noverflow(m), m.allocated_bytes());
}

// fnv1a over the present keys in lookup order, then the absent ones, each
// little-endian (bench/flood/main.go prints the same).
void fingerprint(std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  std::vector<std::uint64_t> all = bench::shuffled(bench::u64_keys(n, bench::kKeySeed));
  for (std::uint64_t k : bench::u64_keys(n, bench::kMissSeed)) all.push_back(k);
  for (std::uint64_t k : all) {
    for (int i = 0; i < 64; i += 8) h = (h ^ ((k >> i) & 0xff)) * 0x100000001b3ull;
  }
  std::printf("keys %zu %016llx\n", n, static_cast<unsigned long long>(h));
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// One workload (or, for "memory", one map built) in one mode.
void run(const std::string& w, const std::string& mode, std::size_t n, std::int64_t min_ns) {
  if (mode != "one" && mode != "few") fail("unknown mode '" + mode + "' (one, few)");
  const bool one = mode == "one";
  if (w == "memory") {
    one ? memory<OneHash>(mode, n) : memory<FewHash>(mode, n);
    return;
  }
  const double ns = measure(min_ns, one ? workload<OneHash>(w, n) : workload<FewHash>(w, n));
  std::printf("cpp %s %s %zu %.3f\n", w.c_str(), mode.c_str(), n, ns);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string workloads = "insert,get_hit,get_miss,delete", modes = "one,few", sizes = "64,256,1024,4096,16384";
  double min_time = 0.1;
  bool mem = false, keys = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--memory") {
      mem = true;
    } else if (a == "--keys") {
      keys = true;
    } else if (a == "--workloads" && has_value) {
      workloads = argv[++i];
    } else if (a == "--modes" && has_value) {
      modes = argv[++i];
    } else if (a == "--sizes" && has_value) {
      sizes = argv[++i];
    } else if (a == "--mintime" && has_value) {
      min_time = std::atof(argv[++i]);
      if (!(min_time > 0)) fail("--mintime wants a positive number of seconds");
    } else {
      fail("unknown or incomplete argument '" + a + "' (see the head of bench/flood_bench.cc)");
    }
  }
  std::vector<std::size_t> ns;
  for (const std::string& s : split(sizes)) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || n == 0) fail("bad size '" + s + "' (a positive key count)");
    ns.push_back(n);
  }
  if (keys) {
    for (std::size_t n : ns) fingerprint(n);
    return 0;
  }
  if (mem) workloads = "memory";
  for (const std::string& w : split(workloads)) {
    for (const std::string& mode : split(modes)) {
      for (std::size_t n : ns) run(w, mode, n, static_cast<std::int64_t>(min_time * 1e9));
    }
  }
  return 0;
}
