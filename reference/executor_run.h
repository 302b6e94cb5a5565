// reference/executor_run.h: the lockstep executor's core, Run<T> for one
// key type: one program's map, model, oracles and checks, stepped one op
// at a time. Each key type is instantiated in a file of its own
// (run_<type>.cc), so the four compile in parallel; executor.cc dispatches
// on Program::config.keys (executor_detail.h).
//
// The parts: this file (the run's state, a step, the start and the end),
// executor_ops.h (one handler per op kind), executor_checks.h (the checks
// after every op and at the end). The map's operations go through
// probe.h's wrappers, which keep their coverage instrumentation; every
// function here is harness, left out of coverage by namespace
// (fuzz/coverage-ignorelist.txt).
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "check.h"
#include "executor.h"
#include "executor_detail.h"
#include "go_rules.h"
#include "growth_pace.h"
#include "invariants.h"
#include "iter_oracle.h"
#include "keys.h"
#include "model.h"
#include "probe.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "tophash/layout.h"
#include "wide.h"

namespace tophash::reference {

// Execution::inspect's view of a run between steps (executor.h), valid
// until the next step: the maps named so far, the iterators, the last op.
template <trace::KeyType T>
struct Inspection {
  using K = typename KeyOps<T>::K;
  using V = typename KeyOps<T>::V;
  using Map = BucketMap<K, V, ProgramHash<T>>;
  static std::string key_text(const K& k) {  // as a trace prints it
    if constexpr (T == trace::KeyType::kString) return trace::quote_string(k);
    else if constexpr (T == trace::KeyType::kDouble) return trace::format_double(k);
    else if constexpr (T == trace::KeyType::kCounted) return std::to_string(k.id());
    else return std::to_string(k);
  }
  static std::string value_text(const V& v) {
    if constexpr (T == trace::KeyType::kString) return trace::quote_string(v);
    else if constexpr (T == trace::KeyType::kCounted) return std::to_string(v.id());
    else return std::to_string(v);
  }
  struct Iterator {
    std::size_t map = 0;                            // the map it was made on
    const IterStart* declared = nullptr;            // declared, starts at its first next
    const typename Map::Iter* started = nullptr;    // started: layout.h iter_view(*maps[map], *started)
  };
  std::array<const Map*, trace::kMaxMaps> maps{};  // null: not named yet
  std::size_t current = 0;                          // the map ops act on (`use` selects it)
  std::vector<Iterator> iterators;                  // by Program::iter_names; no pointer set: none
  std::optional<std::uint64_t> touched;             // the hash of the key the last op wrote, if one
  bool full = true;                                 // the last op may have written any bucket, or maps
};

}  // namespace tophash::reference

namespace tophash::reference::exec_detail {

using trace::KeyType;
using trace::Op;
using trace::OpKind;
using trace::Program;

// What a run needs besides the map: the model, the oracles, the pins and
// the string interner. One per thread, reused from program to program
// (each reset keeping its storage, pool.h), so that once warm a run
// allocates nothing of its own: under ASan every allocation records a
// stack trace, and a fuzz target runs tens of thousands of short
// programs a second.
struct Workspace {
  Interner interner;
  std::unordered_map<std::uint64_t, std::uint64_t> pins;
  NanPins nans;
  Model model;
  std::deque<IterOracle> oracles;  // one per iterator name; a deque, so that growing it moves none
  std::vector<std::uint64_t> final_nans;  // final_checks' fresh iteration
  std::vector<char> evacuated;            // GrowthPace's old buckets
  bool busy = false;

  // At the end of a run: what it put into the reused containers is freed
  // by the run that allocated it (their storage kept, pool.h), so a run
  // frees as much as it allocates. libFuzzer runs an input a second time,
  // and then a leak check, whenever it allocated more than it freed.
  void release() {
    model.reset();
    reset_keeping_capacity(pins);
    nans.reset();
    for (IterOracle& o : oracles) o.reset();
  }
};

// The thread's workspace, or a fresh one when it is already in use (two
// runs alive at once on one thread, e.g. two Executions).
class WorkspaceLease {
 public:
  WorkspaceLease() {
    static thread_local Workspace shared;
    if (shared.busy) {
      own_ = std::make_unique<Workspace>();
      ws_ = own_.get();
    } else {
      ws_ = &shared;
    }
    ws_->busy = true;
  }
  ~WorkspaceLease() {
    ws_->release();
    ws_->busy = false;
  }
  WorkspaceLease(const WorkspaceLease&) = delete;
  WorkspaceLease& operator=(const WorkspaceLease&) = delete;
  Workspace& operator*() const { return *ws_; }

 private:
  std::unique_ptr<Workspace> own_;
  Workspace* ws_;
};

template <KeyType T>
class Run {
  using Ops = KeyOps<T>;
  using K = typename Ops::K;
  using V = typename Ops::V;
  using Hash = ProgramHash<T>;
  using Map = BucketMap<K, V, Hash>;
  using Iter = typename Map::Iter;
  using A = debug::BucketMapAccess;
  using Checker = InvariantChecker<Map>;
  using Array = std::remove_cvref_t<decltype(*A::buckets(std::declval<const Map&>()))>;
  static constexpr bool kCounted = T == KeyType::kCounted;

  struct Slot {
    std::optional<IterStart> pending;  // declared, initialised at its first next
    std::optional<Iter> it;
    IterOracle* oracle = nullptr;      // the workspace's, for this iterator name
    std::size_t world = 0;             // the map it belongs to (the current one at its `iter`)
    std::optional<std::uint64_t> last_key;  // the key it last yielded (del_at), while it stands on one
  };
  // One map of the program (copy, move, swap and use name them) and what
  // judges it. Map 0 exists from the first op; the others from the first
  // op that names them.
  struct World {
    std::optional<Map> map;
    std::optional<Checker> inv;
    std::optional<GrowthPace<Map>> pace;
    Model* model = nullptr;              // map 0: the workspace's
    std::unique_ptr<Model> own_model;    // the others'
    std::vector<char> evacuated;         // the others' GrowthPace storage
  };
  static constexpr std::size_t kInlineSlots = 4;  // the decoder's iterators i0..i3

  // The map just before an op.
  struct Before {
    typename Checker::Before inv;
    const Array* arr;
    unsigned B;
    std::size_t count, noverflow;
    bool growing;
  };
  // What an op did, for the checks after it.
  struct Effect {
    std::optional<std::uint64_t> touched;  // hash of the key the op wrote or read
    const K* key = nullptr;                // that key (hold): the program's string, or own
    std::optional<K> own;
    bool full = false;                     // the op may have touched any bucket
    bool may_replace = false;              // the op may replace the bucket array
  };

 public:
  Run(const Program& p, const ExecOptions& opt, Verdict& v);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Op i, the one after the last stepped: false once the run has stopped
  // (failed or refused; v says which).
  bool step(std::size_t i);
  // The end-of-program checks, then the map's end (and, for counted keys,
  // the leak checks after it); false if a check failed.
  bool finish();
  // Ops [0, n), then finish() if `to_end`; false once stopped.
  bool run(std::size_t n, bool to_end) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!step(i)) return false;
    }
    return !to_end || finish();
  }

  // Whether the failure (if any) came from a periodic or final whole-table
  // check, which may find it some ops after the op that caused it; and
  // where the run stopped: the ops it had begun, and whether in finish().
  bool failed_late() const { return failed_late_; }
  std::size_t ops_begun() const { return ops_begun_; }
  bool finishing() const { return finishing_; }
  std::string layout() const { return m_ ? dump_layout(*m_) : std::string(); }
  bool inspect(Inspector& v) const;  // Execution::inspect

 private:
  // executor_run.h: the run's life.
  bool start(const Op& first, bool is_first);
  Hash make_hash();
  World& world(std::size_t n);  // map n, made empty if the program has not named it yet
  void select(std::size_t n);   // the current map: m_, inv_, pace_, model_
  void sync_program();
  Slot& slot(std::size_t j) { return j < kInlineSlots ? inline_slots_[j] : more_slots_[j - kInlineSlots]; }
  const Slot& slot(std::size_t j) const { return const_cast<Run*>(this)->slot(j); }
  template <class F>
  [[gnu::always_inline]] void each_slot(F f) {
    for (std::size_t j = 0; j < nslots_; ++j) f(slot(j));
  }
  // The iterators of the current map (what a write to it concerns).
  template <class F>
  [[gnu::always_inline]] void each_here(F f) {
    for (std::size_t j = 0; j < nslots_; ++j) {
      if (slot(j).world == cur_) f(slot(j));
    }
  }
  bool apply(const Op& op);
  Before observe() const;
  bool stop_failed(CheckFailure& f, std::size_t op_index);
  void check_leaks();
  bool too_big(const Op& op, const char* what);
  [[gnu::noinline, gnu::cold]] void refuse(const Op& op, std::string what);

  // executor_ops.h: one handler per op kind; false when the op is refused.
  bool on_pin(const Op& op);
  void on_put(const Op& op, const Before& b, Effect& e);
  void check_growth_start(bool added, const Before& b);
  void on_del(std::uint64_t a, Effect& e);
  void on_get(const Op& op, Effect& e);
  void on_len();
  void on_clear(Effect& e);
  void on_iter(const Op& op);
  bool on_next(Slot& s, const Op& op);  // whether it yielded
  bool step_iter(Slot& s, const Op& op);
  void check_yield(Slot& s, const Op& op);
  void on_drain(const Op& op);
  void on_close(const Op& op);
  bool on_reserve(const Op& op, const Before& b, Effect& e);
  void on_shrink(Effect& e);
  void on_dump();

  // executor_api.h: the C++ API beyond Go's map.
  void on_write(const Op& op, const Before& b, Effect& e);  // try_emplace, insert_or_assign, index
  void check_written(const Op& op, const V* vp, bool added, bool existed, std::uint64_t want);
  void on_lookup(const Op& op, Effect& e);                  // at, find, count, contains
  void on_erase_if(const Op& op, Effect& e);
  void on_del_at(const Op& op, Effect& e);
  bool on_maps(const Op& op, Effect& e);                    // copy, move, swap, use
  void copy_to(World& dst);
  void move_to(World& dst);
  void judge(World& dst);
  void end_iterators(std::size_t world);
  void check_other(std::size_t world);

  // executor_checks.h: the checks after every op and at the end.
  void after_op(const Op& op, const Before& b, const Effect& e);
  void check_counted_values();
  std::int64_t counted_held();
  void check_iterator_lifetimes();
  void check_pace(const Op& op, const Before& b, const Effect& e);
  void check_pace_whole(bool late);
  void check_invariants(const Before& b, const Effect& e);
  std::size_t full_check_period(std::size_t total_buckets) const;
  void check_whole(bool late);
  bool every_op() const { return opt_.full_check_spread == 0 || opt_.full_check_period <= 1; }
  void check_before_rebuild();
  void final_checks();
  [[gnu::flatten]] void final_contents();
  [[gnu::flatten]] void final_missed(std::uint64_t mark, std::size_t yielded);
  [[gnu::noinline]] void final_nans(std::vector<std::uint64_t>& got);

  // Helpers.
  std::uint64_t hash_now(const K& k) const { return m_->hash_function()(k, A::seed(*m_)); }
  // The op's key (repr r) into e.key: a string key is the program's own
  // (no copy, no allocation), any other is made.
  void hold(Effect& e, std::uint64_t r) const {
    if constexpr (std::is_reference_v<decltype(Ops::key(p_, r))>) {
      e.key = &Ops::key(p_, r);
    } else {
      e.key = &e.own.emplace(Ops::key(p_, r));
    }
  }
  void rebuilt() {
    each_here([](Slot& s) { s.oracle->on_rebuild(); });
  }
  static MapPhase phase(const Map& m) { return MapPhase{A::B(m), A::growing(m), A::same_size(m)}; }
  static std::string key_text(const K& k) { return Inspection<T>::key_text(k); }
  static std::string value_text(const V& v) { return Inspection<T>::value_text(v); }
  // Message parts for fail_with and output (check.h): built only when used.
  auto lit(std::uint64_t repr) const {
    return [this, repr](std::string& s) { s += trace::key_literal(p_, repr); };
  }
  auto vlit(std::uint64_t repr) const {
    return [this, repr](std::string& s) { s += trace::value_literal(p_, repr); };
  }
  static auto ktext(const K& k) {
    return [k = &k](std::string& s) { s += key_text(*k); };
  }
  static auto vtext(const V* v) {  // null: "missing"
    return [v](std::string& s) { s += v ? value_text(*v) : std::string("missing"); };
  }
  std::string_view iter_name(const Op& op) const { return p_.iter_names[op.iter]; }
  // Replay output (only bucketmap-replay asks for it), out of line.
  template <class... Parts>
  [[gnu::noinline]] void output(Parts... parts) {
    (check_detail::append(*opt_.output, parts), ...);
  }

  const Program& p_;
  const ExecOptions& opt_;
  Verdict& v_;
  const bool check_;
  WorkspaceLease ws_;
  Interner& interner_;
  typename Hash::Pins& pins_;
  NanPins& nans_;
  Model* model_;  // the current map's, as m_, inv_, pace_ (select)
  IterOracle::Format fmt_;
  std::size_t interned_ = 0;  // p_.strings.size() when the interner was last reset
  std::array<World, trace::kMaxMaps> worlds_;  // map 0 from the first op on
  std::size_t cur_ = 0;
  Map* m_ = nullptr;  // the current map (null before the first op)
  Checker* inv_ = nullptr;
  GrowthPace<Map>* pace_ = nullptr;
  std::vector<std::uint64_t> erased_ids_, erased_nans_;  // erase_if's scratch
  // The iterators, destroyed before their map (declared after it).
  std::array<Slot, kInlineSlots> inline_slots_;
  std::vector<Slot> more_slots_;  // beyond kInlineSlots (moved as it grows: an Iter moves safely)
  std::size_t nslots_ = 0;       // iterator names known
  std::size_t since_full_ = 0;   // ops since the last whole-table check
  bool whole_checked_ = false;   // the whole table was checked after the last op
  bool late_ = false;            // a periodic or final whole-table check is running
  bool pace_pending_ = false;    // the op's pace check has not run yet
  bool failed_late_ = false;     // the failure came from such a check
  std::size_t ops_begun_ = 0;
  bool finishing_ = false;
  std::optional<std::uint64_t> last_touched_;  // the last op's Effect, for inspect
  bool last_full_ = true;
};

template <KeyType T>
Run<T>::Run(const Program& p, const ExecOptions& opt, Verdict& v)
    : p_(p),
      opt_(opt),
      v_(v),
      check_(opt.lockstep),
      interner_((*ws_).interner),
      pins_((*ws_).pins),
      nans_((*ws_).nans),
      model_(&(*ws_).model),
      fmt_([this](std::uint64_t id) { return trace::key_literal(p_, id); }) {
  if constexpr (kCounted) {
    CountedKey::reset();
    CountedValue::reset();
  }
  reset_keeping_capacity(pins_);
  nans_.reset();
  model_->reset();
  interned_ = ~std::size_t{0};
  sync_program();
}

// New strings and iterator names the caller added since the last step
// (Execution lets it append ops between steps).
template <KeyType T>
void Run<T>::sync_program() {
  if (p_.strings.size() != interned_) {
    interner_.reset(p_);  // its views into p_.strings may have moved
    interned_ = p_.strings.size();
  }
  const std::size_t n = p_.iter_names.size();
  if (n == nslots_) return;
  auto& oracles = (*ws_).oracles;
  if (oracles.size() < n) oracles.resize(n);
  if (n > kInlineSlots) more_slots_.resize(n - kInlineSlots);
  for (std::size_t j = nslots_; j < n; ++j) {
    oracles[j].reset();
    slot(j).oracle = &oracles[j];
  }
  nslots_ = n;
}

// The map, at the first op: with its hint if that op is one.
template <KeyType T>
bool Run<T>::start(const Op& first, bool is_first) {
  std::uint64_t hint = 0;
  if (is_first && first.kind == OpKind::kHint) {
    if (too_big(first, "hint")) return false;
    hint = first.a;
  }
  World& w = worlds_[0];
  w.map.emplace(hint, p_.config.seed, make_hash());
  w.inv.emplace(*w.map);
  w.pace.emplace((*ws_).evacuated);
  w.model = &(*ws_).model;
  select(0);
  return true;
}

template <KeyType T>
typename Run<T>::Hash Run<T>::make_hash() {
  Hash hash;
  hash.mode = p_.config.hashing;
  hash.tiny = p_.config.tiny == 0 ? 1 : p_.config.tiny;
  hash.pins = &pins_;
  hash.nans = &nans_;
  hash.interner = &interner_;
  return hash;
}

// Map n (n > 0 starts empty, seeded by the program's seed and n).
template <KeyType T>
typename Run<T>::World& Run<T>::world(std::size_t n) {
  World& w = worlds_[n];
  if (w.map) return w;
  w.map.emplace(0, p_.config.seed + n, make_hash());
  judge(w);
  return w;
}

template <KeyType T>
void Run<T>::select(std::size_t n) {
  World& w = worlds_[n];
  cur_ = n;
  m_ = &*w.map;
  inv_ = &*w.inv;
  pace_ = &*w.pace;
  model_ = w.model;
}

template <KeyType T>
bool Run<T>::step(std::size_t i) {
  const Op& op = p_.ops[i];
  ops_begun_ = i + 1;
  last_touched_.reset();
  last_full_ = true;
  if (!m_) {
    if (!start(op, i == 0)) return false;
    if (i == 0 && op.kind == OpKind::kHint) return true;
  }
  try {
    sync_program();
    if (!apply(op)) return false;
  } catch (CheckFailure& f) {
    return stop_failed(f, i);
  }
  ++v_.stats.ops;
  return true;
}

template <KeyType T>
bool Run<T>::stop_failed(CheckFailure& f, std::size_t op_index) {
  failed_late_ = late_;
  late_ = false;
  v_.fail(Failure{std::move(f.check), std::move(f.detail), op_index, layout()});
  return false;
}

template <KeyType T>
typename Run<T>::Before Run<T>::observe() const {
  const Map& m = *m_;
  return Before{inv_->before(), A::buckets(m), A::B(m), m.size(), A::noverflow(m), A::growing(m)};
}

template <KeyType T>
bool Run<T>::apply(const Op& op) {
  const Before b = observe();
  Effect e;
  switch (op.kind) {
    case OpKind::kHint: refuse(op, "'hint' must be the first operation"); return false;
    case OpKind::kPin:
      if (!on_pin(op)) return false;
      break;
    case OpKind::kPut: on_put(op, b, e); break;
    case OpKind::kDel: on_del(op.a, e); break;
    case OpKind::kGet: on_get(op, e); break;
    case OpKind::kLen: on_len(); break;
    case OpKind::kClear: on_clear(e); break;
    case OpKind::kIter: on_iter(op); break;
    case OpKind::kNext: on_next(slot(op.iter), op); break;
    case OpKind::kDrain: on_drain(op); break;
    case OpKind::kClose: on_close(op); break;
    case OpKind::kReserve:
      if (!on_reserve(op, b, e)) return false;
      break;
    case OpKind::kShrinkToFit: on_shrink(e); break;
    case OpKind::kDump: on_dump(); break;
    case OpKind::kTryEmplace:
    case OpKind::kInsertOrAssign:
    case OpKind::kIndex: on_write(op, b, e); break;
    case OpKind::kAt:
    case OpKind::kFind:
    case OpKind::kCount:
    case OpKind::kContains: on_lookup(op, e); break;
    case OpKind::kEraseIf: on_erase_if(op, e); break;
    case OpKind::kDelAt: on_del_at(op, e); break;
    case OpKind::kCopy:
    case OpKind::kMove:
    case OpKind::kSwap:
    case OpKind::kUse:
      if (!on_maps(op, e)) return false;
      break;
  }
  v_.stats.max_B = std::max<unsigned>(v_.stats.max_B, A::B(*m_));
  last_touched_ = e.touched;
  last_full_ = e.full;
  if (check_) after_op(op, b, e);
  return true;
}

template <KeyType T>
bool Run<T>::finish() {
  finishing_ = true;
  const std::size_t last = p_.ops.empty() ? 0 : p_.ops.size() - 1;
  if (!m_) start(Op{OpKind::kLen}, false);
  try {
    // Every map, the current one last (a failure's layout is that map's).
    for (std::size_t n = 0; check_ && n < worlds_.size(); ++n) {
      const std::size_t w = (cur_ + 1 + n) % worlds_.size();
      if (!worlds_[w].map) continue;
      if (w != cur_) whole_checked_ = false;
      select(w);
      final_checks();
    }
  } catch (CheckFailure& f) {
    return stop_failed(f, last);
  }
  each_slot([](Slot& s) { s.it.reset(); });  // iterators end before their map
  for (World& w : worlds_) {
    w.pace.reset();
    w.inv.reset();
    w.map.reset();
  }
  m_ = nullptr;
  inv_ = nullptr;
  pace_ = nullptr;
  if constexpr (kCounted) {
    if (check_) check_leaks();
  }
  return v_.passed();
}

template <KeyType T>
bool Run<T>::inspect(Inspector& v) const {
  if (!m_) return false;
  Inspection<T> s;
  for (std::size_t n = 0; n < worlds_.size(); ++n) s.maps[n] = worlds_[n].map ? &*worlds_[n].map : nullptr;
  s.current = cur_;
  s.iterators.resize(nslots_);
  for (std::size_t j = 0; j < nslots_; ++j) {
    const Slot& x = slot(j);
    s.iterators[j] = {x.world, x.pending ? &*x.pending : nullptr, x.it ? &*x.it : nullptr};
  }
  s.touched = last_touched_;
  s.full = last_full_;
  v.visit(s);
  return true;
}

// Counted keys and values: none outlived the map.
template <KeyType T>
void Run<T>::check_leaks() {
  const std::size_t last = p_.ops.empty() ? 0 : p_.ops.size() - 1;
  auto leak = [&](const CountedStats& s, const char* what) {
    if (s.error != nullptr) {
      v_.fail(Failure{"counted: misuse", std::string(what) + ": " + s.error, last, "(map destroyed)"});
    } else if (s.live != 0) {
      v_.fail(Failure{"counted: leak",
                      std::to_string(s.live) + " " + what + " objects outlived the map (constructed but never destroyed)",
                      last, "(map destroyed)"});
    }
  };
  leak(CountedKey::stats(), "key");
  if (v_.passed()) leak(CountedValue::stats(), "value");
}

template <KeyType T>
bool Run<T>::too_big(const Op& op, const char* what) {
  const unsigned b = go::log2_for(op.a);
  using Bucket = internal::Bucket<K, V>;
  const std::uint64_t bytes = internal::go_bucket_array_len(b, sizeof(Bucket)) * std::uint64_t{sizeof(Bucket)};
  if (bytes <= opt_.max_bytes) return false;
  refuse(op, std::string(what) + " " + std::to_string(op.a) + " needs " + std::to_string(bytes) +
                 " bytes of buckets, over this replayer's limit of " + std::to_string(opt_.max_bytes) + " (--max-bytes)");
  return true;
}

template <KeyType T>
void Run<T>::refuse(const Op& op, std::string what) {
  v_.refuse(trace::ParseError{op.line, std::move(what)});
}

}  // namespace tophash::reference::exec_detail

#include "executor_api.h"
#include "executor_checks.h"
#include "executor_ops.h"
#include "executor_pin.h"
