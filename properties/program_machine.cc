#include "program_machine.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "budget.h"
#include "decode.h"
#include "go_rules.h"
#include "watchdog.h"

namespace tophash::properties {

using trace::OpKind;

std::size_t next_threshold(std::size_t peak) { return reference::go::load_capacity(reference::go::log2_for(peak + 1)) + 1; }

namespace {

void fail_unless_passed(const ProgramSut& sut, const reference::Verdict& v) {
  if (const trace::ParseError* e = v.refusal()) RC_FAIL("program could not run: " + e->what);
  if (!v.passed()) RC_FAIL("\n" + reference::describe(sut.program, v));
}

bool fits(const GenState& s, std::size_t ops, std::size_t steps = 0) {
  return (ops <= 1 || s.ops + ops <= kMaxOps) && (steps <= 1 || s.steps + steps <= kMaxSteps);
}
void spend(GenState& s, std::size_t ops, std::size_t steps = 0) {
  s.ops += ops;
  s.steps += steps;
}

void put_op(ProgramSut& sut, std::uint32_t id, std::uint32_t value) {
  trace::Op op{OpKind::kPut};
  op.a = fuzz::key_for_id(sut.program, id);
  op.b = fuzz::value_for_id(sut.program, value);
  sut.run(op);
}
void key_op(ProgramSut& sut, OpKind kind, std::uint32_t id) {
  trace::Op op{kind};
  op.a = fuzz::key_for_id(sut.program, id);
  sut.run(op);
}
void iter_op(ProgramSut& sut, OpKind kind, int it, std::uint64_t start = 0, std::uint64_t offset = 0) {
  trace::Op op{kind};
  op.iter = sut.program.iter_index("i" + std::to_string(it));
  op.b = start;
  op.c = offset;
  sut.run(op);
}

constexpr std::uint32_t kNaNId = 2;  // decode.cc's key_double: NaN (3 is -NaN)

bool is_nan_id(const GenState& s, std::uint32_t id) {
  // decode.cc's key_double maps a few ids to NaN; for double keys every
  // put of one adds an entry that no delete finds.
  if (s.config.keys != trace::KeyType::kDouble) return false;
  trace::Program p;
  p.config = s.config;
  const std::uint64_t bits = fuzz::key_for_id(p, id);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d != d;
}
void note_put(GenState& s, std::uint32_t id) {
  if (is_nan_id(s, id)) {
    ++s.count;
    ++s.nans;
  } else if (s.present.insert(id).second) {
    ++s.count;
  }
  s.peak = std::max(s.peak, s.count);
  s.fresh = std::max(s.fresh, id + 1);
}
void note_del(GenState& s, std::uint32_t id) {
  if (s.present.erase(id)) --s.count;
}
// k fresh keys (s.fresh on), in the state and in the program.
void note_fresh(GenState& s, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) note_put(s, s.fresh);
}
void put_fresh(ProgramSut& sut, const GenState& s, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint32_t id = s.fresh + static_cast<std::uint32_t>(i);
    put_op(sut, id, id & 0xffff);
  }
}

// A put of one key (Put and PutNaN pick it).
struct PutKey : Command {
  std::uint32_t id = 0, value = 0;
  void apply(GenState& s) const override {
    note_put(s, id);
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override { put_op(sut, id, value); }
};

struct Put : PutKey {
  explicit Put(const GenState& s) {
    value = *rc::gen::inRange<std::uint32_t>(0, 1000);
    const int kind = *rc::gen::inRange(0, 10);
    if (kind < 4 && !s.present.empty()) {
      id = *rc::gen::elementOf(s.present);  // overwrite
    } else if (kind < 8) {
      id = s.fresh;  // fresh key: churn
    } else {
      id = *rc::gen::inRange<std::uint32_t>(0, 64);  // small ids: reuse and collisions
    }
  }
  void show(std::ostream& os) const override { os << "Put(" << id << ", " << value << ")"; }
};

// A NaN key (double keys): a new entry every time, spread by a random
// hash, sent by its tophash's low bit when evacuated under an iterator.
struct PutNaN : PutKey {
  PutNaN() {
    id = *rc::gen::element(kNaNId, kNaNId + 1);  // NaN and -NaN
    value = *rc::gen::inRange<std::uint32_t>(0, 1000);
  }
  void checkPreconditions(const GenState& s) const override { RC_PRE(is_nan_id(s, id)); }
  void show(std::ostream& os) const override { os << "PutNaN(" << id << ", " << value << ")"; }
};

// Puts fresh keys until the map holds `delta` entries more than the next
// doubling needs (delta < 0: just below it; 0: the put that doubles).
struct FillTo : Command {
  int delta = *rc::gen::inRange(-3, 3);
  std::size_t n(const GenState& s) const {
    const std::size_t target = next_threshold(s.peak) + delta;
    return target > s.count ? target - s.count : 0;
  }
  void checkPreconditions(const GenState& s) const override {
    const std::size_t k = n(s);
    RC_PRE(k > 0 && k <= 400 && fits(s, k));
  }
  void apply(GenState& s) const override {
    const std::size_t k = n(s);  // before the puts move the threshold
    note_fresh(s, k);
    spend(s, k);
  }
  void run(const GenState& s, ProgramSut& sut) const override { put_fresh(sut, s, n(s)); }
  void show(std::ostream& os) const override { os << "FillTo(threshold" << (delta < 0 ? "" : "+") << delta << ")"; }
};

// Deletes present keys and puts as many fresh ones, alternately: tombstone
// churn at a steady size, which leads to same-size growth.
struct Churn : Command {
  std::vector<std::size_t> picks;  // positions among the present keys
  Churn() {
    const auto n = *rc::gen::inRange<std::size_t>(1, 41);
    picks = *rc::gen::container<std::vector<std::size_t>>(n, rc::gen::inRange<std::size_t>(0, 1u << 20));
  }
  std::vector<std::uint32_t> gone(const GenState& s) const {
    const std::vector<std::uint32_t> keys(s.present.begin(), s.present.end());
    std::vector<std::uint32_t> out;
    for (auto p : picks) {
      const std::uint32_t id = keys[p % keys.size()];
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    return out;
  }
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(!s.present.empty() && fits(s, 2 * picks.size()));
  }
  void apply(GenState& s) const override {
    const auto g = gone(s);
    const std::uint32_t fresh = s.fresh;
    for (auto id : g) note_del(s, id);
    for (std::size_t i = 0; i < g.size(); ++i) note_put(s, fresh + static_cast<std::uint32_t>(i));
    spend(s, 2 * g.size());
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    const auto g = gone(s);
    for (std::size_t i = 0; i < g.size(); ++i) {
      key_op(sut, OpKind::kDel, g[i]);
      const std::uint32_t id = s.fresh + static_cast<std::uint32_t>(i);
      put_op(sut, id, id & 0xffff);
    }
  }
  void show(std::ostream& os) const override { os << "Churn(" << picks.size() << " picks)"; }
};

struct Delete : Command {
  std::uint32_t id = 0;
  explicit Delete(const GenState& s) {
    id = (!s.present.empty() && *rc::gen::inRange(0, 4) != 0) ? *rc::gen::elementOf(s.present)
                                                               : *rc::gen::inRange<std::uint32_t>(0, 64);
  }
  void apply(GenState& s) const override {
    note_del(s, id);
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    key_op(sut, OpKind::kDel, id);
  }
  void show(std::ostream& os) const override { os << "Delete(" << id << ")"; }
};

// Deletes every key, which empties the map and so reseeds its hash (with
// iterators open, they keep walking arrays laid out under the old seed),
// then puts `refill` fresh keys under the new seed.
struct Reseed : Command {
  std::size_t refill = *rc::gen::inRange<std::size_t>(0, 80);
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(s.nans == 0 && !s.present.empty() && fits(s, s.present.size() + refill));
  }
  void apply(GenState& s) const override {
    spend(s, s.present.size() + refill);
    s.present.clear();
    s.count = 0;
    note_fresh(s, refill);
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    for (auto id : s.present) key_op(sut, OpKind::kDel, id);
    put_fresh(sut, s, refill);
  }
  void show(std::ostream& os) const override { os << "Reseed(refill " << refill << ")"; }
};

struct Get : Command {
  std::uint32_t id = 0;
  explicit Get(const GenState& s) {
    id = (!s.present.empty() && *rc::gen::inRange(0, 2) == 0) ? *rc::gen::elementOf(s.present)
                                                               : *rc::gen::inRange<std::uint32_t>(0, 64);
  }
  void checkPreconditions(const GenState& s) const override { RC_PRE(fits(s, 2)); }
  void apply(GenState& s) const override { spend(s, 2); }
  void run(const GenState&, ProgramSut& sut) const override {
    key_op(sut, OpKind::kGet, id);
    sut.run(trace::Op{OpKind::kLen});
  }
  void show(std::ostream& os) const override { os << "Get(" << id << ")"; }
};

struct Clear : Command {
  void apply(GenState& s) const override {
    s.present.clear();
    s.count = 0;
    s.nans = 0;
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    sut.run(trace::Op{OpKind::kClear});
  }
  void show(std::ostream& os) const override { os << "Clear"; }
};

struct Reserve : Command {
  std::uint64_t n = *rc::gen::inRange<std::uint64_t>(0, 600);
  void apply(GenState& s) const override {
    s.peak = std::max<std::size_t>(s.peak, n);
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    trace::Op op{OpKind::kReserve};
    op.a = n;
    sut.run(op);
  }
  void show(std::ostream& os) const override { os << "Reserve(" << n << ")"; }
};

struct ShrinkToFit : Command {
  void apply(GenState& s) const override {
    s.peak = s.count;
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    sut.run(trace::Op{OpKind::kShrinkToFit});
  }
  void show(std::ostream& os) const override { os << "ShrinkToFit"; }
};

// Opens (or reopens) an iterator and takes its first step, which fixes
// its start. Starts lean to the last buckets (~0 is the last bucket at
// any B, ~0 - 1 the one before), so that the walk wraps; any of the eight
// slot offsets.
struct OpenIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  std::uint64_t start = *rc::gen::weightedOneOf<std::uint64_t>({
      {3, rc::gen::just(~std::uint64_t{0})},
      {2, rc::gen::just(~std::uint64_t{0} - 1)},
      {1, rc::gen::just(std::uint64_t{0})},
      {4, rc::gen::arbitrary<std::uint64_t>()},
  });
  std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, 8);
  void checkPreconditions(const GenState& s) const override { RC_PRE(fits(s, 2, 1)); }
  void apply(GenState& s) const override {
    s.open[it] = true;
    s.owner[it] = s.cur;
    spend(s, 2, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kIter, it, start, offset);
    iter_op(sut, OpKind::kNext, it);  // initialise it now
    sut.open[it] = true;
  }
  void show(std::ostream& os) const override { os << "OpenIter(i" << it << ", " << start << ", " << offset << ")"; }
};

// Puts fresh keys up to the one that starts the next doubling (by the
// state's reckoning: a reserve, or a growth still under way, can put it
// off), then opens an iterator at once: it starts mid-growth (its B is the
// map's), so it walks the old buckets not yet evacuated through the
// doubling filter, and evacuation sends NaN keys by their tophash's low
// bit (with an iterator started, Go's rule for keys unequal to
// themselves).
struct OpenIterMidGrowth : OpenIter {
  std::size_t n(const GenState& s) const { return next_threshold(s.peak) - s.count; }
  void checkPreconditions(const GenState& s) const override {
    const std::size_t k = n(s);
    RC_PRE(k <= 400 && fits(s, k + 2, 1));
  }
  void apply(GenState& s) const override {
    const std::size_t k = n(s);  // before the puts move the threshold
    note_fresh(s, k);
    spend(s, k);
    OpenIter::apply(s);
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    put_fresh(sut, s, n(s));
    OpenIter::run(s, sut);
  }
  void show(std::ostream& os) const override {
    os << "OpenIterMidGrowth(i" << it << ", " << start << ", " << offset << ")";
  }
};

struct StepIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  int steps = *rc::gen::weightedOneOf<int>({{4, rc::gen::inRange(1, 9)}, {1, rc::gen::inRange(9, 41)}});
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(s.open[it] && fits(s, steps, steps));
  }
  void apply(GenState& s) const override { spend(s, steps, steps); }
  void run(const GenState&, ProgramSut& sut) const override {
    for (int i = 0; i < steps; ++i) iter_op(sut, OpKind::kNext, it);
  }
  void show(std::ostream& os) const override { os << "StepIter(i" << it << " x" << steps << ")"; }
};

// Steps an iterator to its end: the oracle then checks that every key
// present since its start came out exactly once.
struct DrainIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(s.open[it] && fits(s, 1, s.count + 1));
  }
  void apply(GenState& s) const override {
    s.open[it] = false;
    spend(s, 1, s.count + 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kDrain, it);
    sut.open[it] = false;
  }
  void show(std::ostream& os) const override { os << "DrainIter(i" << it << ")"; }
};

struct CloseIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  void checkPreconditions(const GenState& s) const override { RC_PRE(s.open[it]); }
  void apply(GenState& s) const override {
    s.open[it] = false;
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kClose, it);
    sut.open[it] = false;
  }
  void show(std::ostream& os) const override { os << "CloseIter(i" << it << ")"; }
};

// Rounds of one write and a few steps of an open iterator: the iterator
// advances while a growth evacuates bucket by bucket (each write evacuates
// one or two old buckets), and a growth started by these writes begins
// under it.
struct WriteAndStep : Command {
  struct Write {
    bool del;
    std::uint32_t id;
  };
  int it = *rc::gen::inRange(0, kIters);
  int per_round = *rc::gen::inRange(1, 4);
  // Per round: 0-4 fresh put, 5 a NaN (double keys; else a fresh put), 6-8
  // delete a present key, 9 overwrite one.
  std::vector<std::uint8_t> kinds;
  std::vector<std::size_t> picks;   // per round: which present key
  WriteAndStep() {
    const auto rounds = *rc::gen::inRange<std::size_t>(1, 25);
    kinds = *rc::gen::container<std::vector<std::uint8_t>>(rounds, rc::gen::inRange<std::uint8_t>(0, 10));
    picks = *rc::gen::container<std::vector<std::size_t>>(rounds, rc::gen::inRange<std::size_t>(0, 1u << 20));
  }
  std::vector<Write> plan(const GenState& s) const {
    std::vector<std::uint32_t> keys(s.present.begin(), s.present.end());
    std::uint32_t fresh = s.fresh;
    std::vector<Write> out;
    for (std::size_t r = 0; r < kinds.size(); ++r) {
      if (kinds[r] == 5 && is_nan_id(s, kNaNId)) {
        out.push_back({false, kNaNId});
        continue;
      }
      if (kinds[r] < 6 || keys.empty()) {
        keys.push_back(fresh);
        out.push_back({false, fresh++});
        continue;
      }
      const std::size_t i = picks[r] % keys.size();
      out.push_back({kinds[r] < 9, keys[i]});
      if (kinds[r] < 9) {
        keys[i] = keys.back();
        keys.pop_back();
      }
    }
    return out;
  }
  std::size_t ops() const { return kinds.size() * (1 + per_round); }
  std::size_t steps() const { return kinds.size() * per_round; }
  void checkPreconditions(const GenState& s) const override { RC_PRE(s.open[it] && fits(s, ops(), steps())); }
  void apply(GenState& s) const override {
    for (const Write& w : plan(s)) {
      if (w.del) {
        note_del(s, w.id);
      } else {
        note_put(s, w.id);
      }
    }
    spend(s, ops(), steps());
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    for (const Write& w : plan(s)) {
      if (w.del) {
        key_op(sut, OpKind::kDel, w.id);
      } else {
        put_op(sut, w.id, (w.id * 7) & 0xffff);
      }
      for (int i = 0; i < per_round; ++i) iter_op(sut, OpKind::kNext, it);
    }
  }
  void show(std::ostream& os) const override {
    os << "WriteAndStep(i" << it << ", " << kinds.size() << " rounds x" << per_round << ")";
  }
};

// ---- the C++ API beyond Go's map ----

// The current map's facts and the other map's trade places.
void swap_sides(GenState& s) {
  std::swap(s.present, s.other.present);
  std::swap(s.count, s.other.count);
  std::swap(s.nans, s.other.nans);
  std::swap(s.peak, s.other.peak);
}
void end_iters_of(GenState& s, int map) {
  for (int it = 0; it < kIters; ++it) {
    if (s.owner[it] == map) s.open[it] = false;
  }
}

// erase_if with a predicate on key ids (mod) or one of the fixed ones.
struct EraseIf : Command {
  int kind = *rc::gen::inRange(0, 5);  // none, all, nan, mod, values
  std::uint64_t n = *rc::gen::inRange<std::uint64_t>(1, 6), r = *rc::gen::inRange<std::uint64_t>(0, 6);
  std::uint64_t lo = *rc::gen::inRange<std::uint64_t>(0, 1000), width = *rc::gen::inRange<std::uint64_t>(0, 500);
  trace::Op op() const {
    trace::Op o{OpKind::kEraseIf};
    o.a = static_cast<std::uint64_t>(kind);
    o.b = kind == 3 ? n : kind == 4 ? lo : 0;
    o.c = kind == 3 ? r : kind == 4 ? lo + width : 0;
    return o;
  }
  // Only u64 and counted keys are their ids, so only there is the state exact.
  void apply(GenState& s) const override {
    const bool ids = s.config.keys == trace::KeyType::kU64 || s.config.keys == trace::KeyType::kCounted;
    if (kind == 1) {
      s.present.clear();
      s.count = s.nans = 0;
    } else if (kind == 2) {
      s.count -= s.nans;
      s.nans = 0;
    } else if (kind == 3 && ids) {
      for (auto it = s.present.begin(); it != s.present.end();) {
        if (*it % n == r) {
          it = s.present.erase(it);
          --s.count;
        } else {
          ++it;
        }
      }
    }
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override { sut.run(op()); }
  void show(std::ostream& os) const override { os << "EraseIf(" << kind << ", " << n << ", " << r << ", " << lo << ")"; }
};

// Go's batch delete: for k := range m { if cond { delete(m, k) } }, cond
// every `every`-th key; up to count + 1 rounds of next and del_at.
struct DeleteWhileRanging : Command {
  int it = *rc::gen::inRange(0, kIters);
  std::uint64_t start = *rc::gen::arbitrary<std::uint64_t>();
  std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, 8);
  int every = *rc::gen::inRange(1, 4);
  std::size_t rounds(const GenState& s) const { return s.count + 1; }
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(s.count <= 400 && fits(s, 2 * rounds(s) + 1, rounds(s)));
  }
  void apply(GenState& s) const override {
    const std::size_t k = rounds(s);
    if (every == 1) {  // everything but the NaN entries goes
      s.present.clear();
      s.count = s.nans;
    }
    s.open[it] = false;  // walked to its end
    spend(s, 2 * k + 1, k);
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kIter, it, start, offset);
    for (std::size_t i = 0; i < rounds(s); ++i) {
      iter_op(sut, OpKind::kNext, it);
      if (i % every == 0) iter_op(sut, OpKind::kDelAt, it);
    }
    sut.open[it] = false;
  }
  void show(std::ostream& os) const override { os << "DeleteWhileRanging(i" << it << ", every " << every << ")"; }
};

// copy, move or swap with the other map, or make it the current one.
struct OtherMap : Command {
  int which = *rc::gen::inRange(0, 4);  // copy, move, swap, use
  void apply(GenState& s) const override {
    const int other = 1 - s.cur;
    if (which == 0) {
      s.other = GenState::Side{s.present, s.count, s.nans, s.peak};
      end_iters_of(s, other);
    } else if (which == 1) {
      s.other = GenState::Side{s.present, s.count, s.nans, s.peak};
      s.present.clear();
      s.count = s.nans = s.peak = 0;
      end_iters_of(s, other);
      end_iters_of(s, s.cur);
    } else if (which == 2) {
      swap_sides(s);
      end_iters_of(s, other);
      end_iters_of(s, s.cur);
    } else {
      swap_sides(s);
      s.cur = other;
    }
    spend(s, 1);
  }
  void run(const GenState& s, ProgramSut& sut) const override {
    constexpr OpKind kOps[4] = {OpKind::kCopy, OpKind::kMove, OpKind::kSwap, OpKind::kUse};
    trace::Op op{kOps[which]};
    op.a = static_cast<std::uint64_t>(1 - s.cur);
    sut.run(op);
  }
  void show(std::ostream& os) const override {
    static const char* const kNames[4] = {"Copy", "Move", "Swap", "Use"};
    os << kNames[which] << "OtherMap";
  }
};

// The insert family and the lookups on one key (present or not).
struct InsertFamily : Command {
  int kind = *rc::gen::inRange(0, 7);  // try_emplace, insert_or_assign, index, at, find, count, contains
  std::uint32_t id = 0, value = *rc::gen::inRange<std::uint32_t>(0, 1000);
  explicit InsertFamily(const GenState& s) {
    id = (!s.present.empty() && *rc::gen::inRange(0, 2) == 0) ? *rc::gen::elementOf(s.present)
                                                               : *rc::gen::inRange<std::uint32_t>(0, 64);
  }
  void apply(GenState& s) const override {
    if (kind < 3) note_put(s, id);
    spend(s, 1);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    constexpr OpKind kOps[7] = {OpKind::kTryEmplace, OpKind::kInsertOrAssign, OpKind::kIndex, OpKind::kAt,
                                OpKind::kFind, OpKind::kCount, OpKind::kContains};
    trace::Op op{kOps[kind]};
    op.a = fuzz::key_for_id(sut.program, id);
    op.b = kind == 2 ? trace::default_value_repr(sut.program) : fuzz::value_for_id(sut.program, value);
    sut.run(op);
  }
  void show(std::ostream& os) const override { os << "InsertFamily(" << kind << ", " << id << ", " << value << ")"; }
};

}  // namespace


rc::Gen<std::shared_ptr<const Command>> command_gen(const GenState& s) {
  using rc::state::gen::execOneOfWithArgs;
  const bool nan_keys = s.config.keys == trace::KeyType::kDouble;
  const bool any = !s.present.empty();
  const bool iterating = std::find(s.open.begin(), s.open.end(), true) != s.open.end();
  // With few hash values, churn and reseeds (chains left behind in other
  // buckets) are what lead to same-size growth.
  const bool tiny = s.config.hashing == trace::HashMode::kTiny;
  return rc::gen::weightedOneOf<std::shared_ptr<const Command>>({
      {24, execOneOfWithArgs<Put>()(s)},
      {nan_keys ? 8u : 0u, execOneOfWithArgs<PutNaN>()(s)},
      {8, execOneOfWithArgs<FillTo>()(s)},
      {!any ? 0u : tiny ? 10u : 5u, execOneOfWithArgs<Churn>()(s)},
      {10, execOneOfWithArgs<Delete>()(s)},
      {!any ? 0u : tiny ? 10u : 3u, execOneOfWithArgs<Reseed>()(s)},
      {4, execOneOfWithArgs<Get>()(s)},
      {2, execOneOfWithArgs<Clear>()(s)},
      {2, execOneOfWithArgs<Reserve>()(s)},
      {2, execOneOfWithArgs<ShrinkToFit>()(s)},
      {iterating ? 6u : 12u, execOneOfWithArgs<OpenIter>()(s)},
      {iterating ? 3u : 6u, execOneOfWithArgs<OpenIterMidGrowth>()(s)},
      {iterating ? 10u : 0u, execOneOfWithArgs<StepIter>()(s)},
      {iterating ? 4u : 0u, execOneOfWithArgs<DrainIter>()(s)},
      {iterating ? 2u : 0u, execOneOfWithArgs<CloseIter>()(s)},
      {iterating ? 14u : 0u, execOneOfWithArgs<WriteAndStep>()(s)},
      {any ? 3u : 0u, execOneOfWithArgs<EraseIf>()(s)},
      {any ? 3u : 0u, execOneOfWithArgs<DeleteWhileRanging>()(s)},
      {3, execOneOfWithArgs<OtherMap>()(s)},
      {5, execOneOfWithArgs<InsertFamily>()(s)},
  });
}

namespace {

// Every iterator still open runs to its end, so the oracle's end checks
// (each key present throughout yielded exactly once) judge it; then the
// end-of-program checks (contents, a full iteration, no leaks) run on what
// the last command left.
const reference::Verdict& finish(ProgramSut& sut) {
  for (int it = 0; it < kIters; ++it) {
    if (sut.open[it]) iter_op(sut, OpKind::kDrain, it);
  }
  Executing on_the_clock(sut.program);
  fail_unless_passed(sut, sut.execution->finish());
  return sut.execution->verdict();
}

}  // namespace

ProgramSut::ProgramSut(const trace::Config& config) {
  program.config = config;
  execution = std::make_unique<reference::Execution>(program, budgeted_options(program));
}

void ProgramSut::run(const trace::Op& op) {
  program.ops.push_back(op);
  puts += op.kind == OpKind::kPut || op.kind == OpKind::kTryEmplace || op.kind == OpKind::kInsertOrAssign ||
          op.kind == OpKind::kIndex;
  execution->set_max_drain(drain_budget(puts));
  Executing on_the_clock(program);
  fail_unless_passed(*this, execution->step());
}

void check_machine(const trace::Config& config, const std::string& name) {
  CaseClock clock(name);
  GenState initial;
  initial.config = config;
  ProgramSut sut(config);
  rc::state::check(initial, sut, [](const GenState& s) { return command_gen(s); });
  const auto& st = finish(sut).stats;
  RC_TAG(st.grew ? (st.same_size_grew ? "doubling and same-size growth" : "doubling") :
                   (st.same_size_grew ? "same-size growth" : "no growth"),
         st.iterated_while_growing ? "an iterator stepped mid-growth" :
         st.iterator_saw_growth    ? "an iterator open as a growth began" :
                                     "no iterator across a growth");
}

}  // namespace tophash::properties
