#include "program_machine.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace tophash::properties {

using trace::OpKind;

std::size_t next_threshold(std::size_t peak) {
  std::size_t cap = 8;  // B = 0 holds 8
  for (unsigned b = 1; cap <= peak; ++b) cap = 13 * ((std::size_t{1} << b) / 2);
  return cap + 1;
}

void run_and_check(ProgramSut& sut) {
  reference::Verdict v = reference::execute(sut.program);
  sut.executed_ops = sut.program.ops.size();
  if (v.error) RC_FAIL("program could not run: " + v.error->what);
  if (!v.ok()) RC_FAIL("\n" + reference::describe(sut.program, v));
}

namespace {

std::uint64_t key_repr(ProgramSut& sut, std::uint32_t id) { return reference::key_for_id(sut.program, id); }

void put_op(ProgramSut& sut, std::uint32_t id, std::uint32_t value) {
  trace::Op op{OpKind::kPut};
  op.a = key_repr(sut, id);
  op.b = reference::value_for_id(sut.program, value);
  sut.program.ops.push_back(op);
}
void key_op(ProgramSut& sut, OpKind kind, std::uint32_t id) {
  trace::Op op{kind};
  op.a = key_repr(sut, id);
  sut.program.ops.push_back(op);
}
void iter_op(ProgramSut& sut, OpKind kind, int it, std::uint64_t start = 0, std::uint64_t offset = 0) {
  trace::Op op{kind};
  op.iter = sut.program.iter_index("i" + std::to_string(it));
  op.b = start;
  op.c = offset;
  sut.program.ops.push_back(op);
}
bool is_nan_id(const GenState& s, std::uint32_t id) {
  // decode.cc's key_double maps a few ids to NaN; for double keys every
  // put of one adds an entry that no delete finds.
  if (s.config.keys != trace::KeyType::kDouble) return false;
  trace::Program p;
  p.config = s.config;
  const std::uint64_t bits = reference::key_for_id(p, id);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d != d;
}
void note_put(GenState& s, std::uint32_t id) {
  if (is_nan_id(s, id)) {
    ++s.count;
  } else if (s.present.insert(id).second) {
    ++s.count;
  }
  s.peak = std::max(s.peak, s.count);
  s.fresh = std::max(s.fresh, id + 1);
}

struct Put : Command {
  std::uint32_t id = 0, value = 0;
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
  void apply(GenState& s) const override { note_put(s, id); }
  void run(const GenState&, ProgramSut& sut) const override {
    put_op(sut, id, value);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Put(" << id << ", " << value << ")"; }
};

// Puts fresh keys up to just below, at or just above the next doubling.
struct FillToThreshold : Command {
  std::vector<std::uint32_t> ids;
  explicit FillToThreshold(const GenState& s) {
    const std::size_t target = next_threshold(s.peak) + *rc::gen::inRange(-2, 3);
    const std::size_t n = target > s.count ? std::min<std::size_t>(target - s.count, 240) : 1;
    for (std::size_t i = 0; i < n; ++i) ids.push_back(s.fresh + static_cast<std::uint32_t>(i));
  }
  void apply(GenState& s) const override {
    for (auto id : ids) note_put(s, id);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    for (auto id : ids) put_op(sut, id, id & 0xffff);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "FillToThreshold(" << ids.size() << " fresh keys)"; }
};

// Deletes present keys and puts as many fresh ones: tombstone churn at a
// steady size, which leads to same-size growth.
struct Churn : Command {
  std::vector<std::uint32_t> gone, added;
  explicit Churn(const GenState& s) {
    const std::size_t n = *rc::gen::inRange<std::size_t>(1, 1 + std::min<std::size_t>(s.present.size(), 40));
    std::vector<std::uint32_t> keys(s.present.begin(), s.present.end());
    const auto picks = *rc::gen::container<std::vector<std::size_t>>(
        n, rc::gen::inRange<std::size_t>(0, keys.size()));
    std::set<std::uint32_t> chosen;
    for (auto i : picks) chosen.insert(keys[i]);
    gone.assign(chosen.begin(), chosen.end());
    for (std::size_t i = 0; i < gone.size(); ++i) added.push_back(s.fresh + static_cast<std::uint32_t>(i));
  }
  bool precondition(const GenState& s) const {
    for (auto id : gone) {
      if (!s.present.count(id)) return false;
    }
    return true;
  }
  void checkPreconditions(const GenState& s) const override { RC_PRE(precondition(s)); }
  void apply(GenState& s) const override {
    for (auto id : gone) {
      s.present.erase(id);
      --s.count;
    }
    for (auto id : added) note_put(s, id);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    for (std::size_t i = 0; i < gone.size(); ++i) {
      key_op(sut, OpKind::kDel, gone[i]);
      put_op(sut, added[i], added[i] & 0xffff);
    }
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Churn(" << gone.size() << ")"; }
};

struct Delete : Command {
  std::uint32_t id = 0;
  explicit Delete(const GenState& s) {
    id = (!s.present.empty() && *rc::gen::inRange(0, 4) != 0) ? *rc::gen::elementOf(s.present)
                                                               : *rc::gen::inRange<std::uint32_t>(0, 64);
  }
  void apply(GenState& s) const override {
    if (s.present.erase(id)) --s.count;
  }
  void run(const GenState&, ProgramSut& sut) const override {
    key_op(sut, OpKind::kDel, id);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Delete(" << id << ")"; }
};

// Deletes every present key: the map empties (and reseeds).
struct DeleteAll : Command {
  std::vector<std::uint32_t> ids;
  explicit DeleteAll(const GenState& s) : ids(s.present.begin(), s.present.end()) {}
  void checkPreconditions(const GenState& s) const override {
    RC_PRE(std::vector<std::uint32_t>(s.present.begin(), s.present.end()) == ids);
  }
  void apply(GenState& s) const override {
    s.count -= ids.size();
    s.present.clear();
  }
  void run(const GenState&, ProgramSut& sut) const override {
    for (auto id : ids) key_op(sut, OpKind::kDel, id);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "DeleteAll(" << ids.size() << ")"; }
};

struct Get : Command {
  std::uint32_t id = 0;
  explicit Get(const GenState& s) {
    id = (!s.present.empty() && *rc::gen::inRange(0, 2) == 0) ? *rc::gen::elementOf(s.present)
                                                               : *rc::gen::inRange<std::uint32_t>(0, 64);
  }
  void run(const GenState&, ProgramSut& sut) const override {
    key_op(sut, OpKind::kGet, id);
    sut.program.ops.push_back(trace::Op{OpKind::kLen});
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Get(" << id << ")"; }
};

struct Clear : Command {
  void apply(GenState& s) const override {
    s.present.clear();
    s.count = 0;
  }
  void run(const GenState&, ProgramSut& sut) const override {
    sut.program.ops.push_back(trace::Op{OpKind::kClear});
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Clear"; }
};

struct Reserve : Command {
  std::uint64_t n = *rc::gen::inRange<std::uint64_t>(0, 600);
  void run(const GenState&, ProgramSut& sut) const override {
    trace::Op op{OpKind::kReserve};
    op.a = n;
    sut.program.ops.push_back(op);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "Reserve(" << n << ")"; }
};

struct ShrinkToFit : Command {
  void run(const GenState&, ProgramSut& sut) const override {
    sut.program.ops.push_back(trace::Op{OpKind::kShrinkToFit});
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "ShrinkToFit"; }
};

struct OpenIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  std::uint64_t start = *rc::gen::arbitrary<std::uint64_t>();
  std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, 8);
  void apply(GenState& s) const override { s.declared[it] = true; }
  void run(const GenState&, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kIter, it, start, offset);
    iter_op(sut, OpKind::kNext, it);  // initialise it now
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "OpenIter(i" << it << ", " << start << ", " << offset << ")"; }
};

struct StepIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  int steps = *rc::gen::inRange(1, 6);
  void checkPreconditions(const GenState& s) const override { RC_PRE(s.declared[it]); }
  void run(const GenState&, ProgramSut& sut) const override {
    for (int i = 0; i < steps; ++i) iter_op(sut, OpKind::kNext, it);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "StepIter(i" << it << " x" << steps << ")"; }
};

struct CloseIter : Command {
  int it = *rc::gen::inRange(0, kIters);
  void checkPreconditions(const GenState& s) const override { RC_PRE(s.declared[it]); }
  void apply(GenState& s) const override { s.declared[it] = false; }
  void run(const GenState&, ProgramSut& sut) const override {
    iter_op(sut, OpKind::kClose, it);
    run_and_check(sut);
  }
  void show(std::ostream& os) const override { os << "CloseIter(i" << it << ")"; }
};

}  // namespace

rc::Gen<std::shared_ptr<const Command>> command_gen(const GenState& s) {
  using rc::state::gen::execOneOfWithArgs;
  return rc::gen::weightedOneOf<std::shared_ptr<const Command>>({
      {30, execOneOfWithArgs<Put>()(s)},
      {6, execOneOfWithArgs<FillToThreshold>()(s)},
      {6, s.present.empty() ? execOneOfWithArgs<Put>()(s) : execOneOfWithArgs<Churn>()(s)},
      {12, execOneOfWithArgs<Delete>()(s)},
      {2, execOneOfWithArgs<DeleteAll>()(s)},
      {8, execOneOfWithArgs<Get>()(s)},
      {2, execOneOfWithArgs<Clear>()(s)},
      {2, execOneOfWithArgs<Reserve>()(s)},
      {2, execOneOfWithArgs<ShrinkToFit>()(s)},
      {8, execOneOfWithArgs<OpenIter>()(s)},
      {16, execOneOfWithArgs<StepIter>()(s)},
      {3, execOneOfWithArgs<CloseIter>()(s)},
  });
}

void check_machine(const trace::Config& config) {
  GenState initial;
  initial.config = config;
  ProgramSut sut;
  sut.program.config = config;
  rc::state::check(initial, sut, [](const GenState& s) { return command_gen(s); });
  // The whole program once more, so the final checks (contents, a full
  // iteration, no leaks) run on what the last command left.
  run_and_check(sut);
}

}  // namespace tophash::properties
