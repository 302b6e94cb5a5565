// Named properties: the claims people make about Go maps, as checked facts.
// Each says which planted bug class (mutants/) it guards. Every walk is
// bounded (a correct iteration ends after size() yields) and every case is
// on the watchdog's clock (watchdog.h), so a bug that never ends an
// iteration, or loops inside the map, fails in seconds.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <unordered_set>
#include <vector>

#include "decode.h"
#include "executor.h"
#include "go_rules.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "test_name.h"
#include "tophash/layout.h"
#include "watchdog.h"
#include "trace.h"

namespace tophash::properties {
namespace {

using A = debug::BucketMapAccess;
using Map = BucketMap<std::uint64_t, std::uint64_t>;

rc::Gen<std::vector<std::uint64_t>> keys_gen(std::uint64_t range = 3000) {
  // Up to ~1000 keys at full size: several growths.
  return rc::gen::scale(10, rc::gen::container<std::vector<std::uint64_t>>(rc::gen::inRange<std::uint64_t>(0, range)));
}

std::map<std::uint64_t, std::uint64_t> contents(Map& m) {
  std::map<std::uint64_t, std::uint64_t> out;
  for (auto it = m.iterate({0, 0}); !it.done(); it.next()) {
    RC_ASSERT(out.emplace(it.key(), it.value()).second);
    RC_ASSERT(out.size() <= m.size());
  }
  return out;
}

// Guards: delete that touches entries it did not find (wrong slot marked).
RC_GTEST_PROP(Named, DeletingAMissingKeyChangesNoEntry, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Map m(0, seed);
  for (auto k : *keys_gen()) m.insert_or_assign(k, k + 1);
  const auto missing = *rc::gen::inRange<std::uint64_t>(3000, 6000);
  const auto before = contents(m);
  const bool growing = A::growing(m);
  const std::string layout = dump_layout(m);
  RC_ASSERT(m.erase(missing) == 0u);
  RC_ASSERT(contents(m) == before);
  RC_ASSERT(m.size() == before.size());
  if (!growing) RC_ASSERT(dump_layout(m) == layout);  // no evacuation to do: nothing moves
}

// Guards: iterator not re-checking evacuated or deleted slots; emptyRest
// marks that hide live entries from the iterator.
RC_GTEST_PROP(Named, DeletingDuringIterationIsSafeAndDeletedKeysAreNotYielded, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Map m(0, seed);
  const auto keys = *keys_gen();
  for (auto k : keys) m.insert_or_assign(k, k);
  auto it = m.iterate({*rc::gen::arbitrary<std::uint64_t>(), *rc::gen::inRange<std::uint64_t>(0, 8)});
  std::set<std::uint64_t> yielded, deleted;
  // Initialising an iterator fetches its first entry: that one is reached.
  if (!it.done()) yielded.insert(it.key());
  const auto steps = *rc::gen::inRange<std::size_t>(0, m.size() + 1);
  for (std::size_t i = 0; i < steps && it.next(); ++i) RC_ASSERT(yielded.insert(it.key()).second);
  for (auto k : keys) {
    if (!yielded.count(k) && *rc::gen::inRange(0, 3) == 0 && m.erase(k) == 1) deleted.insert(k);
    if (*rc::gen::inRange(0, 20) == 0) m.insert_or_assign(k + 100000, 0);  // writes that may grow the map
  }
  const std::size_t budget = 2 * (keys.size() + m.size()) + 16;
  for (std::size_t n = 0; it.next(); ++n) {
    RC_ASSERT(n < budget);
    RC_ASSERT(!deleted.count(it.key()));
    RC_ASSERT(yielded.insert(it.key()).second);
  }
  for (auto k : keys) RC_ASSERT(yielded.count(k) + deleted.count(k) == 1u);
}

// Guards: put taking a later empty slot (or a fresh overflow bucket) when
// an earlier one is free; emptyRest written over live successors.
RC_GTEST_PROP(Named, AnInsertWithoutGrowthTakesTheFirstEmptySlotOfItsChain, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Map m(0, seed);
  for (auto k : *keys_gen()) m.insert_or_assign(k, k);
  for (auto k : *keys_gen()) m.erase(k);
  while (A::growing(m)) m.erase(~std::uint64_t{0});
  const std::uint64_t fresh = *rc::gen::inRange<std::uint64_t>(3000, 1u << 30);
  const std::size_t n = m.size() + 1;
  RC_PRE(!m.contains(fresh));
  RC_PRE(!reference::go::over_load_factor(n, m.bucket_log2()));                    // no doubling
  RC_PRE(!reference::go::too_many_overflow_buckets(A::noverflow(m), m.bucket_log2()));  // no same-size growth
  const std::uint64_t hash = A::hash(m, fresh);
  const auto bucket = hash & ((std::size_t{1} << m.bucket_log2()) - 1);
  auto before = layout_of(m).new_chains[bucket];
  std::size_t want_b = before.size(), want_i = 0;  // default: a new overflow bucket
  for (std::size_t b = 0; b < before.size() && want_b == before.size(); ++b) {
    for (std::size_t i = 0; i < 8; ++i) {
      if (before[b].tophash[i] <= internal::kEmptyOne) {
        want_b = b;
        want_i = i;
        break;
      }
    }
  }
  m.insert_or_assign(fresh, 1);
  auto after = layout_of(m).new_chains[bucket];
  RC_ASSERT(after.size() > want_b);
  RC_ASSERT(after[want_b].tophash[want_i] == internal::top_hash(hash));
  RC_ASSERT(after[want_b].keys[want_i] == std::optional<std::uint64_t>(fresh));
}

// A value type that counts live objects and catches double destruction.
struct Tracked {
  static inline long live = 0;
  static inline bool twice = false;
  std::uint64_t v;
  bool alive = true;
  explicit Tracked(std::uint64_t x = 0) : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(o.v) { ++live; }
  Tracked& operator=(const Tracked& o) {
    v = o.v;
    return *this;
  }
  ~Tracked() {
    if (!alive) twice = true;
    alive = false;
    --live;
  }
};
using TrackedMap = BucketMap<std::uint64_t, Tracked>;

// Guards: a deleted value not destroyed; delete freeing bucket memory.
RC_GTEST_PROP(Named, DeleteReleasesTheValueAtOnceButNoBucketMemoryAndShrinkReleasesIt, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Tracked::live = 0;
  {
    TrackedMap m(0, seed);
    const auto keys = *keys_gen();
    for (auto k : keys) m.insert_or_assign(k, Tracked(k));
    while (A::growing(m)) m.erase(~std::uint64_t{0});  // leftovers of growth released
    RC_ASSERT(Tracked::live == static_cast<long>(m.size()));
    const auto bytes = m.allocated_bytes();
    for (auto k : keys) {
      const long live = Tracked::live;
      if (m.erase(k) == 1) RC_ASSERT(Tracked::live == live - 1);
    }
    RC_ASSERT(m.allocated_bytes() == bytes);
    m.shrink_to_fit();
    RC_ASSERT(m.bucket_log2() == 0);
    RC_ASSERT(m.allocated_bytes() == 0u);
  }
  RC_ASSERT(Tracked::live == 0);
}

// Guards: double destruction or leaks on any path (growth with iterators
// open, clear, shrink, erase_if, copy, move).
RC_GTEST_PROP(Named, EveryValueConstructedIsDestroyedExactlyOnce, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Tracked::live = 0;
  Tracked::twice = false;
  {
    TrackedMap m(0, seed);
    std::vector<TrackedMap::Iter> iters;
    const auto ops = *rc::gen::container<std::vector<std::uint8_t>>(rc::gen::inRange<std::uint8_t>(0, 12));
    std::uint64_t k = 0;
    for (auto op : ops) {
      switch (op) {
        case 0: case 1: case 2: case 3:
          for (int i = 0; i < 20; ++i, ++k) m.insert_or_assign(k % 500, Tracked(k + 1));
          break;
        case 4: case 5: m.erase(*rc::gen::inRange<std::uint64_t>(0, 500)); break;
        case 6: iters.push_back(m.iterate({k, k})); break;
        case 7: for (auto& it : iters) it.next(); break;
        case 8: m.clear(); break;
        case 9: m.shrink_to_fit(); break;
        case 10: m.erase_if([](const std::uint64_t& key, Tracked&) { return key % 3 == 0; }); break;
        case 11: { TrackedMap copy = m; m = std::move(copy); iters.clear(); } break;
      }
    }
  }
  RC_ASSERT(!Tracked::twice);
  RC_ASSERT(Tracked::live == 0);
}

// Runs of 16 consecutive keys share one hash: fresh keys pile into one
// bucket at a time, so churn at a steady size accumulates overflow buckets
// until same-size growth packs them.
struct TinyHash {
  std::uint64_t operator()(std::uint64_t k, std::uint64_t seed) const { return Hasher<std::uint64_t>()(k / 16, seed); }
};

// Guards: evacuation losing or duplicating entries; same-size growth that
// does not pack chains (the load factor or X/Y bit wrong).
RC_GTEST_PROP(Named, GrowthPreservesContentsAndSameSizeGrowthPacksChains, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  BucketMap<std::uint64_t, std::uint64_t, TinyHash> m(0, seed);
  std::map<std::uint64_t, std::uint64_t> model;
  std::uint64_t fresh = 0;
  int samesize_done = 0;
  const auto rounds = *rc::gen::inRange(300, 2000);
  for (int r = 0; r < rounds; ++r) {
    const bool was_samesize = A::growing(m) && A::same_size(m);
    // Deletes while a same-size growth runs would punch holes into chains
    // it already packed; only puts then, so its result stays observable.
    if (!was_samesize && model.size() > 40 && *rc::gen::inRange(0, 2) == 0) {
      auto victim = model.begin();
      std::advance(victim, *rc::gen::inRange<std::size_t>(0, model.size()));
      RC_ASSERT(m.erase(victim->first) == 1u);
      model.erase(victim);
      continue;
    }
    m.insert_or_assign(fresh, fresh * 3);
    model[fresh] = fresh * 3;
    ++fresh;
    if (was_samesize && !A::growing(m)) {
      ++samesize_done;
      // A put completed a same-size growth: every chain is packed (puts
      // since it started took first empty slots, which keeps them packed).
      for (const auto& chain : layout_of(m).new_chains) {
        std::size_t filled = 0;
        for (const auto& b : chain) {
          for (auto t : b.tophash) filled += internal::is_filled(t);
        }
        RC_ASSERT(chain.size() == std::max<std::size_t>(1, (filled + 7) / 8));
      }
    }
    RC_ASSERT(m.size() == model.size());
  }
  for (auto [k, v] : model) RC_ASSERT(*m.get(k) == v);
  RC_TAG(samesize_done > 0 ? "same-size growth completed" : "no same-size growth");
}

// Guards: clear that shrinks B, leaves entries or old arrays behind.
RC_GTEST_PROP(Named, ClearKeepsBAndEmptiesEverything, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Map m(0, seed);
  const auto keys = *keys_gen();
  for (auto k : keys) m.insert_or_assign(k, k);
  const int b = m.bucket_log2();
  m.clear();
  RC_ASSERT(m.bucket_log2() == b);
  RC_ASSERT(m.size() == 0u);
  RC_ASSERT(!A::growing(m));
  RC_ASSERT(A::noverflow(m) == 0u);
  for (const auto& chain : layout_of(m).new_chains) {
    RC_ASSERT(chain.size() == 1u);
    for (auto t : chain[0].tophash) RC_ASSERT(t == internal::kEmptyRest);
  }
  for (auto k : keys) RC_ASSERT(!m.contains(k));
}

// Guards: iteration missing entries; copy or rebuild losing them.
RC_GTEST_PROP(Named, AMapRebuiltFromItsOwnIterationEqualsIt, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  Map m(0, seed);
  for (auto k : *keys_gen()) m.insert_or_assign(k, k * 7);
  for (auto k : *keys_gen()) m.erase(k);
  Map rebuilt(0, seed + 1);
  std::size_t n = 0;
  for (auto [k, v] : m) {
    RC_ASSERT(++n <= m.size());
    rebuilt.insert_or_assign(k, v);
  }
  RC_ASSERT(contents(rebuilt) == contents(m));
}

// Guards: NaN found or deleted; -0 and +0 as two keys; stored key not
// updated.
RC_GTEST_PROP(Named, NaNAndSignedZeroFollowGo, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  BucketMap<double, int> m(0, seed);
  const auto ops = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 5));
  std::size_t nans = 0;
  std::optional<bool> zero_sign;  // stored zero's sign bit, if a zero is in the map
  std::set<int> normals;
  int value = 0;
  for (int op : ops) {
    ++value;
    switch (op) {
      case 0: m.insert_or_assign(std::nan(""), value); ++nans; break;
      case 1: m.insert_or_assign(0.0, value); zero_sign = false; break;
      case 2: m.insert_or_assign(-0.0, value); zero_sign = true; break;
      case 3: m.insert_or_assign(static_cast<double>(value % 50 + 1), value); normals.insert(value % 50 + 1); break;
      case 4: RC_ASSERT(m.erase(std::nan("")) == 0u); break;
    }
    RC_ASSERT(m.get(std::nan("")) == nullptr);
    RC_ASSERT(m.size() == nans + normals.size() + (zero_sign ? 1 : 0));
  }
  std::size_t seen_nans = 0, n = 0;
  for (auto [k, v] : m) {
    RC_ASSERT(++n <= m.size());
    if (std::isnan(k)) ++seen_nans;
    if (k == 0) RC_ASSERT(std::signbit(k) == *zero_sign);
  }
  RC_ASSERT(seen_nans == nans);
}

// Guards: growth that progresses at another pace than Go's growWork where
// the machine's programs do not reach: maps of thousands of old buckets,
// where Go bounds the mark's scan at 1024 buckets and the invariant
// checker no longer pins the mark (the executor's "growth: pace",
// reference/growth_pace.h, still does). A program of puts (through a
// doubling from B = 8, 10 or 11) with deletes mixed in, run through the
// executor, its growth work checked after every write.
RC_GTEST_PROP(Named, GrowthWorkFollowsGoInLargeMaps, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  trace::Program p;
  p.config.hashing = trace::HashMode::kReal;
  p.config.seed = seed;
  // Until just past a doubling from B = 8 (256 old buckets), B = 10 (1024:
  // as many as the mark's scan crosses at once) or B = 11 (2048: where its
  // bound can stop it).
  const std::size_t target = *rc::gen::element<std::size_t>(1665, 6657, 13313) + *rc::gen::inRange<std::size_t>(0, 1500);
  const auto delete_every = *rc::gen::inRange<std::uint64_t>(3, 20);
  std::unordered_set<std::uint64_t> present;
  for (std::uint64_t fresh = 1; present.size() < target; ++fresh) {
    trace::Op put{trace::OpKind::kPut};
    put.a = fresh;
    put.b = fresh;
    p.ops.push_back(put);
    present.insert(fresh);
    if (fresh % delete_every == 0) {
      // A delete (of a present key, or of one never put) does growth work too.
      trace::Op del{trace::OpKind::kDel};
      del.a = (fresh * 7) % (fresh + 50);
      p.ops.push_back(del);
      present.erase(del.a);
    }
  }
  reference::Verdict v;
  {
    Executing on_the_clock(p);
    v = reference::execute(p);
  }
  if (!v.passed()) RC_FAIL("\n" + reference::describe(p, v));
}

// The op of p as q names it: q interns p's strings and iterator names as
// they come (so q grows while it is stepped).
trace::Op rewritten(const trace::Program& p, trace::Program& q, trace::Op op) {
  using K = trace::OpKind;
  const bool writes = op.kind == K::kPut || op.kind == K::kTryEmplace || op.kind == K::kInsertOrAssign ||
                      op.kind == K::kIndex;  // a key and a value (index: the default value)
  const bool keyed = writes || op.kind == K::kDel || op.kind == K::kGet || op.kind == K::kPin || op.kind == K::kAt ||
                     op.kind == K::kFind || op.kind == K::kCount || op.kind == K::kContains;
  if (p.config.keys == trace::KeyType::kString) {
    if (keyed) op.a = q.string_index(p.strings[op.a]);
    if (writes) op.b = q.string_index(p.strings[op.b]);
  }
  if (op.kind == K::kIter || op.kind == K::kNext || op.kind == K::kDrain || op.kind == K::kClose ||
      op.kind == K::kDelAt) {
    op.iter = q.iter_index(p.iter_names[op.iter]);
  }
  return op;
}

// Guards: the stepping executor (reference::Execution, which the machine's
// properties use) judging otherwise than execute() (which the fuzz targets
// use), in particular when the program grows between steps: new strings
// (which move the ones the executor indexes) and new iterator names. A
// decoded program, run whole and run op by op as it is written, gives the
// same verdict and the same statistics.
RC_GTEST_PROP(Named, SteppingAProgramAsItIsWrittenJudgesAsExecuteDoes, (std::uint64_t seed)) {
  CaseClock clock(test_name());
  fuzz::DecodeOptions opt;
  opt.keys = *rc::gen::element(trace::KeyType::kU64, trace::KeyType::kString, trace::KeyType::kDouble,
                               trace::KeyType::kCounted);
  opt.tiny_hash = true;
  opt.iteration_heavy = *rc::gen::arbitrary<bool>();
  const auto n = *rc::gen::inRange<std::size_t>(0, 2400);  // up to 600 ops: growth, and iterators across it
  auto bytes = *rc::gen::container<std::vector<std::uint8_t>>(n, rc::gen::arbitrary<std::uint8_t>());
  bytes.insert(bytes.begin(), reinterpret_cast<const std::uint8_t*>(&seed), reinterpret_cast<const std::uint8_t*>(&seed) + 4);
  const trace::Program p = fuzz::decode(bytes.data(), bytes.size(), opt);
  Executing on_the_clock(p);
  const reference::Verdict whole = reference::execute(p);
  trace::Program q;
  q.config = p.config;
  reference::Execution e(q);
  for (const trace::Op& op : p.ops) {
    q.ops.push_back(rewritten(p, q, op));
    if (!e.step().passed()) break;
  }
  const reference::Verdict& stepped = e.finish();
  RC_ASSERT(stepped.outcome() == whole.outcome());
  RC_ASSERT(reference::describe(q, stepped) == reference::describe(p, whole));
  const reference::ExecStats &a = stepped.stats, &b = whole.stats;
  RC_ASSERT(a.ops == b.ops && a.full_checks == b.full_checks && a.max_B == b.max_B && a.grew == b.grew &&
            a.same_size_grew == b.same_size_grew && a.iterated_while_growing == b.iterated_while_growing &&
            a.iterator_saw_growth == b.iterator_saw_growth && a.go59411 == b.go59411 &&
            a.go_stale_array == b.go_stale_array && a.go_filter == b.go_filter && a.go_clear_mark == b.go_clear_mark);
}

}  // namespace
}  // namespace tophash::properties
