#include "exhaustive.h"

#include <bit>
#include <chrono>
#include <limits>

#include "budget.h"
#include "executor.h"
#include "watchdog.h"

namespace tophash::properties {

namespace {

using trace::KeyType;
using trace::Op;
using trace::OpKind;

constexpr std::uint64_t kLast = ~std::uint64_t{0};  // as a start: the last bucket at any B

// A pinned hash: `low` picks the bucket (its low B bits), `top` is the
// top byte, which becomes the tophash.
constexpr std::uint64_t pinned(std::uint64_t low, std::uint8_t top) { return (std::uint64_t{top} << 56) | low; }

// Writes a prefix (and the alphabet, which shares its iterator name).
struct Builder {
  trace::Program p;
  std::uint32_t i0;
  Builder(KeyType keys, trace::HashMode hashing, std::uint64_t seed, std::uint32_t tiny = 1) {
    p.config.keys = keys;
    p.config.hashing = hashing;
    p.config.seed = seed;
    p.config.tiny = tiny;
    i0 = p.iter_index("i0");
  }
  // Key reprs: u64 keys are themselves; double keys are their bits.
  std::uint64_t key(double k) const {
    return p.config.keys == KeyType::kDouble ? std::bit_cast<std::uint64_t>(k) : static_cast<std::uint64_t>(k);
  }
  static Op op(OpKind kind, std::uint64_t a = 0, std::uint64_t b = 0) {
    Op o{kind};
    o.a = a;
    o.b = b;
    return o;
  }
  Op iter_op(OpKind kind, std::uint64_t start = 0, std::uint64_t offset = 0) const {
    Op o{kind};
    o.iter = i0;
    o.b = start;
    o.c = offset;
    return o;
  }
  void hint(std::uint64_t n) { p.ops.push_back(op(OpKind::kHint, n)); }
  void pin(double k, std::uint64_t h) { p.ops.push_back(op(OpKind::kPin, key(k), h)); }
  void put(double k, std::uint64_t v) { p.ops.push_back(op(OpKind::kPut, key(k), v)); }
  void del(double k) { p.ops.push_back(op(OpKind::kDel, key(k))); }
  // i0 declared at (start, offset): it starts at its first step.
  void declare(std::uint64_t start, std::uint64_t offset) { p.ops.push_back(iter_op(OpKind::kIter, start, offset)); }
  void open(std::uint64_t start, std::uint64_t offset) {
    declare(start, offset);
    p.ops.push_back(iter_op(OpKind::kNext));
  }
  void next() { p.ops.push_back(iter_op(OpKind::kNext)); }
};

struct Start {
  std::uint64_t start, offset;
};

std::string start_name(const Start& s) {
  return (s.start == kLast ? std::string("last") : s.start == kLast - 1 ? std::string("last-1") : std::to_string(s.start)) +
         "+" + std::to_string(s.offset);
}

// The alphabet: put and delete of each key (values are filled in per
// program), a step of i0, clear, and reopening i0 at `s`.
std::vector<Op> alphabet(const Builder& b, const std::vector<double>& puts, const std::vector<double>& dels,
                         const Start& s) {
  std::vector<Op> out;
  for (double k : puts) out.push_back(Builder::op(OpKind::kPut, b.key(k)));
  for (double k : dels) out.push_back(Builder::op(OpKind::kDel, b.key(k)));
  out.push_back(b.iter_op(OpKind::kNext));
  out.push_back(Builder::op(OpKind::kClear));
  out.push_back(b.iter_op(OpKind::kIter, s.start, s.offset));
  return out;
}

// The scenario's instance for start s: the prefix b wrote, the alphabet.
void add(Scenario& sc, const Start& s, const Builder& b, std::vector<Op> alpha, bool iterates) {
  sc.instances.push_back(ExhaustiveInstance{sc.name + "/" + start_name(s), b.p, std::move(alpha), iterates});
}

// Mid-growth scenarios declare i0 (it starts at its first step, mid-growth);
// the others open it before the growth.
void open_or_declare(Builder& b, bool mid, const Start& s) {
  if (mid) {
    b.declare(s.start, s.offset);
  } else {
    b.open(s.start, s.offset);
  }
}

std::vector<Start> starts(std::initializer_list<std::uint64_t> buckets, std::initializer_list<std::uint64_t> offsets) {
  std::vector<Start> out;
  for (auto b : buckets) {
    for (auto o : offsets) out.push_back({b, o});
  }
  return out;
}

// Keys a, b, c and 51 fillers with pinned hashes for a doubling from B = 3
// (eight old buckets) to B = 4: a and b share old bucket 1 (a bound for X
// = 1, b for Y = 9, distinct tophashes), c is in old bucket 3 (X = 3); the
// fillers fill old buckets 4 to 7 (both halves, overflow chains, repeated
// tophashes), so the alphabet's buckets stay short and an iterator started
// there reaches them in a step or two. a, b and 50 fillers make 52
// entries, the most B = 3 holds; the 51st filler (old bucket 7) starts the
// doubling, whose growth work evacuates old buckets 7 and 0: 1 to 6 are
// left for the suffix.
constexpr double kA = 1, kB = 2, kC = 3;
constexpr int kFillers = 50;
void doubling_keys(Builder& b, double a, double bb, double c, double filler0, int fillers) {
  b.pin(a, pinned(0b0001, 0xa1));
  b.pin(bb, pinned(0b1001, 0xb2));
  b.pin(c, pinned(0b0011, 0xc3));
  for (int i = 0; i < fillers; ++i) {
    const std::uint64_t low = (4 + i % 4) | ((i / 4) % 2 ? 8 : 0);
    b.pin(filler0 + i, pinned(low, static_cast<std::uint8_t>(0x20 + i % 5)));
  }
}

Scenario doubling(bool mid) {
  Scenario sc;
  sc.name = mid ? "mid-doubling" : "doubling";
  sc.what = mid ? "a doubling from B=3 in progress (old buckets 1 to 6 not evacuated); i0 declared, to start "
                  "at its first step"
                : "52 entries at B=3, the next new key doubles; i0 open since before";
  for (const Start& s : mid ? starts({1, 3, 6, 9, kLast}, {0, 5}) : starts({kLast, 1}, {0, 6})) {
    Builder b(KeyType::kU64, trace::HashMode::kPinned, 0);
    doubling_keys(b, kA, kB, kC, 100, kFillers + 1);
    b.put(kA, 1);
    b.put(kB, 2);
    for (int i = 0; i < kFillers; ++i) b.put(100 + i, 10 + i);
    if (mid) b.put(100 + kFillers, 99);
    open_or_declare(b, mid, s);
    add(sc, s, b, alphabet(b, {kA, kB, kC}, {kA, kB, kC}, s), true);
  }
  return sc;
}

// Same-size growth at B = 3: with a hint for B = 3, each bucket gets nine
// keys (an overflow bucket) and loses the first eight again, so eight
// entries remain, each behind eight emptyOne slots, and noverflow is 8 =
// 2^B: the next new key starts a same-size growth of eight old buckets.
Scenario same_size(bool mid) {
  Scenario sc;
  sc.name = mid ? "mid-same-size" : "same-size";
  sc.what = mid ? "a same-size growth at B=3 in progress (old buckets 2 to 7 not evacuated); i0 declared, to "
                  "start at its first step"
                : "B=3 with noverflow 8 and eight entries behind tombstones, the next new key starts a same-size "
                  "growth; i0 open since before";
  for (const Start& s : mid ? starts({1, 3, kLast}, {0, 5}) : starts({kLast, 1}, {0, 6})) {
    Builder b(KeyType::kU64, trace::HashMode::kPinned, 0);
    b.hint(40);
    b.pin(kA, pinned(0b001, 0xa1));
    b.pin(kB, pinned(0b001, 0xb2));
    b.pin(kC, pinned(0b011, 0xc3));
    for (int j = 0; j < 8; ++j) {
      for (int i = 0; i < 9; ++i) b.pin(200 + 10 * j + i, pinned(j, static_cast<std::uint8_t>(0x30 + i)));
      for (int i = 0; i < 9; ++i) b.put(200 + 10 * j + i, i);
      for (int i = 0; i < 8; ++i) b.del(200 + 10 * j + i);
    }
    if (mid) b.put(kA, 1);
    open_or_declare(b, mid, s);
    add(sc, s, b, alphabet(b, {kA, kB, kC}, {kA, kB, kC}, s), true);
  }
  return sc;
}

// An iterator opened on 20 keys (B = 2, tiny hash: chains), two steps in,
// then every key deleted: the map is empty and reseeded, and the suffix
// puts back two of the old keys and a new one under the new seed.
Scenario reseed() {
  Scenario sc;
  sc.name = "reseed";
  sc.what = "i0 opened on 20 entries at B=2 (tiny hash, 3 values), then every entry deleted (reseed)";
  for (const Start& s : starts({kLast}, {0, 3})) {
    Builder b(KeyType::kU64, trace::HashMode::kTiny, 7, 3);
    for (int i = 0; i < 20; ++i) b.put(100 + i, i);
    b.open(s.start, s.offset);
    b.next();
    for (int i = 0; i < 20; ++i) b.del(100 + i);
    add(sc, s, b, alphabet(b, {100, 101, kA}, {100, 101, kA}, s), true);
  }
  return sc;
}

// B = 0 with a tiny hash of two values: emptyRest, tombstones, clear,
// reseeds and every slot offset; with seven fillers the suffix's second
// new key doubles (to B = 1, done within that put) under i0.
Scenario small(bool full) {
  Scenario sc;
  sc.name = full ? "full-b0" : "empty";
  sc.what = full ? "seven entries at B=0 (tiny hash, 2 values), i0 open; the second new key doubles"
                 : "an empty map (tiny hash, 2 values)";
  for (const Start& s : full ? starts({0}, {0, 5}) : starts({0}, {0, 3, 7})) {
    Builder b(KeyType::kU64, trace::HashMode::kTiny, 3, 2);
    if (full) {
      for (int i = 0; i < 7; ++i) b.put(100 + i, i);
      b.open(s.start, s.offset);
    }
    add(sc, s, b, alphabet(b, {kA, kB, kC}, {kA, kB, kC}, s), full);
  }
  return sc;
}

// The mid-doubling state with double keys and twelve NaN entries (random
// hashes: spread over the old buckets, with random tophashes). An
// iterator opened by the suffix mid-growth filters a not-yet-evacuated
// old bucket's NaNs by their tophash's low bit, and evacuation must send
// them by that same bit.
Scenario nan_doubling() {
  Scenario sc;
  sc.name = "nan-mid-doubling";
  sc.what = "double keys: a doubling from B=3 in progress with twelve NaN entries; i0 declared, to start at its "
             "first step";
  const double a = 0.5, bb = 1.5, c = 2.5;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int fillers = kFillers - 12;
  for (const Start& s : starts({0, 1, 2, 3, 4, 5, 6, 9, kLast}, {0, 5})) {
    Builder b(KeyType::kDouble, trace::HashMode::kPinned, 11);
    doubling_keys(b, a, bb, c, 100.25, fillers + 1);
    for (int i = 0; i < 12; ++i) b.put(nan, 50 + i);
    b.put(a, 1);
    b.put(bb, 2);
    for (int i = 0; i <= fillers; ++i) b.put(100.25 + i, 10 + i);  // the last starts the doubling
    b.declare(s.start, s.offset);
    add(sc, s, b, alphabet(b, {nan, a, bb, c}, {a, bb}, s), true);
  }
  return sc;
}

bool same_letter_twice(const Op& x, const Op& y) {
  // Clearing an empty map and reopening an iterator that never stepped
  // change nothing: such programs equal shorter ones.
  return x.kind == y.kind && (x.kind == OpKind::kClear || x.kind == OpKind::kIter);
}

}  // namespace

std::vector<Scenario> scenarios() {
  return {small(false), small(true),     doubling(false), doubling(true),
          same_size(false), same_size(true), reseed(),     nan_doubling()};
}

std::size_t programs_at_depth(const ExhaustiveInstance& inst, unsigned depth) {
  std::size_t total = 0, n = 1;
  for (unsigned d = 0; d <= depth; ++d) {
    total += n;
    n *= inst.alphabet.size();
  }
  return total;
}

std::optional<std::string> explore(const ExhaustiveInstance& inst, unsigned depth, ExhaustiveStats& stats,
                                   const std::function<void(std::size_t)>& progress) {
  trace::Program prog = inst.prefix;
  const std::size_t base = prog.ops.size();
  const std::size_t letters = inst.alphabet.size();
  std::vector<std::size_t> word;
  auto last_progress = std::chrono::steady_clock::now();
  for (unsigned len = 0; len <= depth; ++len) {
    word.assign(len, 0);
    for (;;) {
      bool redundant = false;
      for (std::size_t i = 1; i < len && !redundant; ++i) {
        redundant = word[i] == word[i - 1] && same_letter_twice(inst.alphabet[word[i]], inst.alphabet[word[i - 1]]);
      }
      if (!redundant) {
        prog.ops.resize(base);
        bool iterates = inst.iterates;
        for (std::size_t i = 0; i < len; ++i) {
          Op op = inst.alphabet[word[i]];
          if (op.kind == OpKind::kPut) op.b = 500 + i;  // each put its own value: stale values show
          iterates |= op.kind == OpKind::kIter;
          prog.ops.push_back(op);
        }
        if (iterates) {
          Op drain{OpKind::kDrain};
          drain.iter = 0;  // i0, the only iterator (Builder interns it first)
          prog.ops.push_back(drain);
        }
        CaseClock clock(inst.name);
        Executing on_the_clock(prog);
        const reference::Verdict v = reference::execute(prog, budgeted_options(prog));
        ++stats.programs;
        if (const trace::ParseError* e = v.refusal()) return "program could not run: " + e->what + "\n" + trace::print_trace(prog);
        if (!v.passed()) return reference::describe(prog, v);
        stats.iterated_while_growing += v.stats.iterated_while_growing;
        stats.iterator_saw_growth += v.stats.iterator_saw_growth;
        if (progress && (stats.programs & 1023) == 0) {
          const auto now = std::chrono::steady_clock::now();
          if (now - last_progress > std::chrono::seconds(5)) {
            progress(stats.programs);
            last_progress = now;
          }
        }
      }
      // The next word of this length (an odometer), or the next length.
      std::size_t i = len;
      while (i > 0 && ++word[i - 1] == letters) word[--i] = 0;
      if (i == 0) break;
    }
  }
  return std::nullopt;
}

}  // namespace tophash::properties
