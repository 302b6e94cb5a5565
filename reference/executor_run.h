// reference/executor_run.h: the lockstep executor's core, Run<T> for one
// key type. Each key type is instantiated in a file of its own
// (run_<type>.cc), so the four compile in parallel; executor.cc
// dispatches on Program::config.keys.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "check.h"
#include "executor.h"
#include "invariants.h"
#include "iter_oracle.h"
#include "keys.h"
#include "model.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "tophash/layout.h"

namespace tophash::reference {

template <trace::KeyType T>
void run_program(const trace::Program& p, const ExecOptions& opt, Verdict& v);

namespace exec_detail {

using trace::KeyType;
using trace::Op;
using trace::OpKind;
using trace::Program;

// Go's growth triggers (runtime/map.go), restated here so the executor can
// tell whether a put should have started a growth.
TOPHASH_HARNESS inline bool over_load_factor(std::size_t count, unsigned B) {
  return count > internal::kBucketCnt && count > 13 * ((std::size_t{1} << B) / 2);
}
TOPHASH_HARNESS inline bool too_many_overflow_buckets(std::size_t noverflow, unsigned B) {
  return noverflow >= (std::size_t{1} << (B < 15 ? B : 15));
}

// What a run needs besides the map: the model, the oracles, the pins and
// the string interner. One per thread, reused from program to program
// (each reset keeping its storage, pool.h), so that once warm a run
// allocates nothing of its own: under ASan every allocation records a
// stack trace, and a fuzz target runs tens of thousands of short
// programs a second.
struct Workspace {
  Interner interner;
  std::unordered_map<std::uint64_t, std::uint64_t> pins;
  Model model;
  std::vector<IterOracle> oracles;  // one per iterator name
  std::vector<std::uint64_t> final_nans;  // final_checks' fresh iteration
  bool busy = false;
};

// The thread's workspace, or a fresh one when it is already in use (a run
// inside a run: nothing does that today, but it must not share state).
class WorkspaceLease {
 public:
  TOPHASH_HARNESS WorkspaceLease() {
    static thread_local Workspace shared;
    if (shared.busy) {
      own_ = std::make_unique<Workspace>();
      ws_ = own_.get();
    } else {
      ws_ = &shared;
    }
    ws_->busy = true;
  }
  TOPHASH_HARNESS ~WorkspaceLease() { ws_->busy = false; }
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
  static constexpr bool kCounted = T == KeyType::kCounted;

  struct Slot {
    std::optional<IterStart> pending;  // declared, initialised at its first next
    std::optional<Iter> it;
    IterOracle* oracle = nullptr;      // the workspace's, for this iterator name
  };
  using Slots = std::span<Slot>;
  static constexpr std::size_t kInlineSlots = 4;  // the decoder's iterators i0..i3

 public:
  TOPHASH_HARNESS Run(const Program& p, const ExecOptions& opt, Verdict& v)
      : p_(p),
        opt_(opt),
        v_(v),
        check_(opt.lockstep),
        interner_((*ws_).interner),
        pins_((*ws_).pins),
        model_((*ws_).model),
        fmt_([this](std::uint64_t id) { return trace::key_literal(p_, id); }) {
    interner_.reset(p);
    reset_keeping_capacity(pins_);
    model_.reset();
    auto& oracles = (*ws_).oracles;
    if (oracles.size() < p.iter_names.size()) oracles.resize(p.iter_names.size());
    for (std::size_t i = 0; i < p.iter_names.size(); ++i) oracles[i].reset();
  }

  TOPHASH_HARNESS void run() {
    if constexpr (kCounted) {
      CountedKey::reset();
      CountedValue::reset();
    }
    std::size_t first = 0;
    std::uint64_t hint = 0;
    if (!p_.ops.empty() && p_.ops[0].kind == OpKind::kHint) {
      hint = p_.ops[0].a;
      first = 1;
      if (too_big(p_.ops[0], "hint")) return;
    }
    Hash hash;
    hash.mode = p_.config.hashing;
    hash.tiny = p_.config.tiny == 0 ? 1 : p_.config.tiny;
    hash.pins = &pins_;
    hash.interner = &interner_;
    {
      Map m(hint, p_.config.seed, hash);
      // The iterators, destroyed before their map (declared after it).
      std::array<Slot, kInlineSlots> inline_slots;
      std::vector<Slot> more_slots;
      const std::size_t nslots = p_.iter_names.size();
      if (nslots > kInlineSlots) more_slots.resize(nslots);
      const Slots slots(nslots > kInlineSlots ? more_slots.data() : inline_slots.data(), nslots);
      for (std::size_t j = 0; j < nslots; ++j) slots[j].oracle = &(*ws_).oracles[j];
      InvariantChecker<Map> inv(m);
      std::size_t i = first;
      try {
        for (; i < p_.ops.size(); ++i) {
          step(m, slots, inv, p_.ops[i]);
          if (v_.error) return;
          ++v_.stats.ops;
        }
        if (check_) {
          i = p_.ops.empty() ? 0 : p_.ops.size() - 1;
          final_checks(m, inv);
        }
      } catch (CheckFailure& f) {
        v_.failure = Failure{std::move(f.check), std::move(f.detail), i, dump_layout(m)};
        return;
      }
      for (Slot& s : slots) s.it.reset();  // iterators end before their map
    }
    if constexpr (kCounted) {
      if (check_) {
        const std::size_t last = p_.ops.empty() ? 0 : p_.ops.size() - 1;
        auto leak = [&](const CountedStats& s, const char* what) {
          if (s.error != nullptr) {
            v_.failure = Failure{"counted: misuse", std::string(what) + ": " + s.error, last, "(map destroyed)"};
          } else if (s.live != 0) {
            v_.failure = Failure{"counted: leak", std::to_string(s.live) + " " + what +
                                                      " objects outlived the map (constructed but never destroyed)",
                                 last, "(map destroyed)"};
          }
        };
        leak(CountedKey::stats(), "key");
        if (!v_.failure) leak(CountedValue::stats(), "value");
      }
    }
  }

 private:
  TOPHASH_HARNESS bool too_big(const Op& op, const char* what) {
    std::uint8_t b = 0;
    while (over_load_factor(op.a, b)) ++b;
    using Bucket = internal::Bucket<K, V>;
    const std::uint64_t bytes = internal::go_bucket_array_len(b, sizeof(Bucket)) * std::uint64_t{sizeof(Bucket)};
    if (bytes <= opt_.max_bytes) return false;
    v_.error = trace::ParseError{op.line, std::string(what) + " " + std::to_string(op.a) + " needs " +
                                              std::to_string(bytes) + " bytes of buckets, over this replayer's limit of " +
                                              std::to_string(opt_.max_bytes) + " (--max-bytes)"};
    return true;
  }

  TOPHASH_HARNESS static std::string key_text(const K& k) {
    if constexpr (T == KeyType::kString) {
      return trace::quote_string(k);
    } else if constexpr (T == KeyType::kDouble) {
      return trace::format_double(k);
    } else if constexpr (kCounted) {
      return std::to_string(k.id());
    } else {
      return std::to_string(k);
    }
  }
  TOPHASH_HARNESS static std::string value_text(const V& v) {
    if constexpr (T == KeyType::kString) {
      return trace::quote_string(v);
    } else if constexpr (kCounted) {
      return std::to_string(v.id());
    } else {
      return std::to_string(v);
    }
  }

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
  [[gnu::noinline]] TOPHASH_HARNESS void output(Parts... parts) {
    (check_detail::append(*opt_.output, parts), ...);
  }
  [[gnu::noinline, gnu::cold]] TOPHASH_HARNESS void refuse_pin(const Op& op) {
    // Go changes a key's hash only by reseeding an empty map; a key whose
    // hash changes while it is in the map cannot be found again, which no
    // map could help. Refused, rather than judged.
    v_.error = trace::ParseError{op.line, "the hash of key " + trace::key_literal(p_, op.a) +
                                              " changes while the key is in the map; lockstep checking needs "
                                              "a key's hash to change only while the key is absent"};
  }

  // The map's operations, each in a function of its own that keeps its
  // coverage instrumentation (the harness functions around them have none).
  [[gnu::noinline]] static std::pair<V*, bool> map_put(Map& m, const K& k, V v) {
    return m.insert_or_assign(k, std::move(v));
  }
  [[gnu::noinline]] static std::size_t map_erase(Map& m, const K& k) { return m.erase(k); }
  [[gnu::noinline]] static const V* map_get(Map& m, const K& k) { return m.get(k); }
  [[gnu::noinline]] static void map_clear(Map& m) { m.clear(); }
  [[gnu::noinline]] static void map_reserve(Map& m, std::size_t n) { m.reserve(n); }
  [[gnu::noinline]] static void map_shrink(Map& m) { m.shrink_to_fit(); }
  [[gnu::noinline]] static void iter_start(std::optional<Iter>& it, Map& m, IterStart s) { it.emplace(m.iterate(s)); }
  [[gnu::noinline]] static bool iter_next(Iter& it) { return it.next(); }

  TOPHASH_HARNESS std::uint64_t hash_now(const Map& m, const K& k) const { return m.hash_function()(k, A::seed(m)); }

  TOPHASH_HARNESS void step(Map& m, Slots slots, InvariantChecker<Map>& inv, const Op& op) {
    const auto before = inv.before();
    const auto* arr0 = A::buckets(m);
    const unsigned B0 = A::B(m);
    const std::size_t count0 = m.size(), nov0 = A::noverflow(m);
    const bool growing0 = A::growing(m);
    std::optional<std::uint64_t> touched;  // hash of the key the op wrote or read
    std::optional<K> key;                  // that key
    bool full = false;                     // the op may have touched any bucket
    bool may_replace = false;              // the op may replace the bucket array

    switch (op.kind) {
      case OpKind::kHint:
        v_.error = trace::ParseError{op.line, "'hint' must be the first operation"};
        return;
      case OpKind::kPin: {
        const std::uint64_t id = Ops::identity(op.a);
        if (check_ && model_.get(id, false) != nullptr) {
          auto it = pins_.find(id);
          if (it != pins_.end() && it->second != op.b) {
            refuse_pin(op);
            return;
          }
        }
        pins_[id] = op.b;
        break;
      }
      case OpKind::kPut: {
        may_replace = true;
        const bool nan = Ops::may_be_nan(op.a);
        const std::uint64_t id = Ops::identity(op.a);
        // The model first: its put tells whether the key was there (a NaN
        // is always a new entry), one model lookup instead of two.
        const bool existed = check_ && !model_.put(id, op.a, op.b, nan);
        key.emplace(Ops::key(p_, op.a));
        auto [vp, added] = map_put(m, *key, Ops::value(p_, op.b));
        if (!nan) touched = hash_now(m, *key);
        if (!check_) break;
        if (added == existed) {
          fail_with("result: put", "put ", lit(op.a), added ? " added a key already in the map" : " found a key not in the map");
        }
        bool value_ok = false;
        if (Ops::value_repr(p_, interner_, *vp, value_ok) != op.b || !value_ok) {
          fail_with("result: put", "after put ", lit(op.a), " the entry holds value ", vtext(vp));
        }
        if (nan) {
          for (Slot& s : slots) {
            if (s.oracle->started() && !s.oracle->ended()) s.oracle->on_put_nan(op.b);
          }
        }
        // mapassign: a key not found starts a growth when the map is not
        // growing and is over its load factor or has too many overflow
        // buckets. "Not growing" is judged after growWork, so a put that
        // finishes one growth can start the next; noverflow at that moment
        // (the finished growth's count) is not observable from here, so
        // then only the load factor is held to account.
        const bool did = arr0 != nullptr && A::buckets(m) != arr0;
        const bool bigger = over_load_factor(count0 + 1, B0);
        const bool finished_now = growing0 && (did || !A::growing(m));
        bool want = added && arr0 != nullptr && !growing0 &&
                    (bigger || too_many_overflow_buckets(nov0, B0));
        if (added && finished_now) want = did ? true : bigger;
        if (want != did || (did && A::B(m) != B0 + (bigger ? 1 : 0))) {
          const unsigned B1 = A::B(m);
          fail_with("growth: trigger", "put of a ", added ? "new" : "present", " key with count ", count0, ", B ", B0,
                    ", noverflow ", nov0, growing0 ? ", growing" : ", not growing",
                    want ? " should start a " : " should not start a ", bigger ? "doubling" : "same-size",
                    " growth; it ", did ? "grew to B " : "did not", [did, B1](std::string& s) {
                      if (did) s += std::to_string(B1);
                    });
        }
        if (did) {
          (bigger ? v_.stats.grew : v_.stats.same_size_grew) = true;
          for (Slot& s : slots) {
            if (s.it && A::iter_walking(*s.it)) v_.stats.iterator_saw_growth = true;
            s.oracle->on_growth_start(!bigger);
          }
        }
        break;
      }
      case OpKind::kDel: {
        const bool nan = Ops::may_be_nan(op.a);
        const std::uint64_t id = Ops::identity(op.a);
        key.emplace(Ops::key(p_, op.a));
        if (!nan) touched = hash_now(m, *key);  // before: a delete that empties the map reseeds it
        const std::size_t n = map_erase(m, *key);
        if (!check_) break;
        const std::size_t want = model_.erase(id, nan);
        if (n != want) {
          fail_with("result: del", "del ", lit(op.a), " erased ", n, ", want ", want);
        }
        if (n != 0) {
          // mapdelete reseeds a map it empties.
          const bool reseed = model_.size() == 0;
          for (Slot& s : slots) {
            s.oracle->on_erase(id);
            if (reseed) s.oracle->on_reseed();
          }
        }
        break;
      }
      case OpKind::kGet: {
        const bool nan = Ops::may_be_nan(op.a);
        key.emplace(Ops::key(p_, op.a));
        // A lookup writes nothing (no growth work either, as mapaccess):
        // no chain to check after it but the scalars and growth state. A
        // lookup that did write is found by the whole-table checks.
        const V* v = map_get(m, *key);
        if (opt_.output) output("get ", lit(op.a), " ", vtext(v), "\n");
        if (!check_) break;
        const ModelEntry* e = model_.get(Ops::identity(op.a), nan);
        bool value_ok = false;
        if ((v == nullptr) != (e == nullptr) ||
            (v != nullptr && (Ops::value_repr(p_, interner_, *v, value_ok) != e->value || !value_ok))) {
          fail_with("result: get", "get ", lit(op.a), " gave ", vtext(v), ", want ", [this, e](std::string& s) {
            s += e ? trace::value_literal(p_, e->value) : "missing";
          });
        }
        break;
      }
      case OpKind::kLen:
        if (opt_.output) output("len ", m.size(), "\n");
        break;
      case OpKind::kClear:
        check_before_rebuild(inv);
        if (check_) {
          for (Slot& s : slots) {
            // mapclear does nothing to an empty map: no reset, no reseed.
            if (s.oracle->open() && model_.size() != 0) s.oracle->on_clear(model_, phase(m));
          }
          model_.clear();
        }
        map_clear(m);
        full = true;
        break;
      case OpKind::kIter: {
        Slot& s = slots[op.iter];
        s.it.reset();
        s.oracle->reset();
        s.pending = IterStart{op.b, op.c};
        break;
      }
      case OpKind::kNext: next(m, slots[op.iter], op); break;
      case OpKind::kDrain: {
        std::size_t n = 0;
        while (next(m, slots[op.iter], op)) {
          if (++n > opt_.max_drain) {
            fail_with("iteration: does not end", "drain ", iter_name(op), " took more than ", opt_.max_drain, " steps");
          }
        }
        break;
      }
      case OpKind::kClose: {
        Slot& s = slots[op.iter];
        s.it.reset();
        s.pending.reset();
        s.oracle->reset();
        break;
      }
      case OpKind::kReserve:
        if (too_big(op, "reserve")) return;
        check_before_rebuild(inv);
        map_reserve(m, op.a);
        if (A::buckets(m) != arr0) rebuilt(slots);
        full = may_replace = true;
        break;
      case OpKind::kShrinkToFit:
        check_before_rebuild(inv);
        map_shrink(m);
        rebuilt(slots);  // always, even an empty map's: see BucketMap::shrink_to_fit
        full = may_replace = true;
        break;
      case OpKind::kDump:
        if (opt_.output) output([&m](std::string& s) { s += dump_layout(m); });
        break;
    }
    v_.stats.max_B = std::max<unsigned>(v_.stats.max_B, A::B(m));
    if (!check_) return;
    if (!may_replace && A::buckets(m) != arr0) {
      fail_with("growth: unexpected", "'", [this, o = &op](std::string& s) { s += trace::print_op(p_, *o); },
                "' replaced the bucket array");
    }
    after_op(m, slots, inv, before, touched, key && touched ? &*key : nullptr, full);
  }

  TOPHASH_HARNESS void rebuilt(Slots slots) {
    for (Slot& s : slots) s.oracle->on_rebuild();
  }
  TOPHASH_HARNESS static MapPhase phase(const Map& m) { return MapPhase{A::B(m), A::growing(m), A::same_size(m)}; }

  // One step of an iterator; returns whether it yielded.
  TOPHASH_HARNESS bool next(Map& m, Slot& s, const Op& op) {
    bool more = false;
    if (s.pending) {
      iter_start(s.it, m, *s.pending);
      s.pending.reset();
      if (check_) s.oracle->start(model_, phase(m));
      more = !s.it->done();
    } else if (s.it) {
      if (A::growing(m)) v_.stats.iterated_while_growing = true;
      if (check_) s.oracle->on_step(phase(m));
      more = iter_next(*s.it);
    }
    if (opt_.output) {
      if (more) {
        output("next ", iter_name(op), " ", ktext(s.it->key()), " ", vtext(&s.it->value()), "\n");
      } else {
        output("next ", iter_name(op), " end\n");
      }
    }
    if (!check_ || !s.oracle->started()) return more;
    if (!more) {
      if (!s.oracle->ended()) {
        s.oracle->end(phase(m), fmt_);
        v_.stats.go_filter += s.oracle->nan_skipped();
      }
      return false;
    }
    if (s.oracle->ended()) {
      fail_with("iteration: yielded after its end", "iterator ", iter_name(op), " yielded ", ktext(s.it->key()),
                " after its end");
    }
    std::uint64_t key = 0;
    if (!Ops::key_repr(interner_, s.it->key(), key)) {
      fail_with("iteration: yielded a key not in the map", "iterator ", iter_name(op), " yielded ", ktext(s.it->key()),
                ", a key the program never put");
    }
    bool value_ok = false;
    const std::uint64_t value = Ops::value_repr(p_, interner_, s.it->value(), value_ok);
    const bool nan = Ops::is_nan(s.it->key());
    const std::uint64_t hash = s.oracle->wants_hash() && !nan ? hash_now(m, s.it->key()) : 0;
    switch (s.oracle->yield(Ops::identity(key), key, value, value_ok, nan, phase(m), hash, model_, fmt_)) {
      case IterOracle::Deviation::kNone: break;
      case IterOracle::Deviation::kGo59411: ++v_.stats.go59411; break;
      case IterOracle::Deviation::kStaleCopy: ++v_.stats.go_stale_array; break;
      case IterOracle::Deviation::kFilterDropped: ++v_.stats.go_filter; break;
      case IterOracle::Deviation::kClearMark: ++v_.stats.go_clear_mark; break;
    }
    return true;
  }

  template <class Arr>
  TOPHASH_HARNESS static std::size_t filled_slots(const Arr* arr) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < arr->len(); ++i) {
      for (const auto* b = arr->bucket(i); b != nullptr; b = b->overflow) {
        for (auto t : b->tophash) n += internal::is_filled(t);
      }
    }
    return n;
  }

  TOPHASH_HARNESS void after_op(Map& m, Slots slots, InvariantChecker<Map>& inv,
                const typename InvariantChecker<Map>::Before& before, std::optional<std::uint64_t> touched,
                                const K* key, bool full) {
    if (m.size() != model_.size()) {
      fail_with("result: len", "the map holds ", m.size(), " entries, want ", model_.size());
    }
    if constexpr (kCounted) {
      if (const char* e = CountedKey::stats().error) fail_with("counted: misuse", e);
      if (const char* e = CountedValue::stats().error) fail_with("counted: misuse", e);
      // Entries the map holds, plus those in arrays only iterators still
      // hold: after a clear abandons a growth, an iterator on the old array
      // keeps its unevacuated entries alive (golang/go#59411).
      std::int64_t held = static_cast<std::int64_t>(model_.size());
      // Arrays counted so far (on the stack for up to kInlineSlots iterators).
      std::array<const void*, 2 + 2 * kInlineSlots> seen_inline;
      std::vector<const void*> seen_more;
      std::size_t nseen = 2;
      if (slots.size() > kInlineSlots) seen_more.resize(2 + 2 * slots.size());
      const void** seen = slots.size() > kInlineSlots ? seen_more.data() : seen_inline.data();
      seen[0] = A::buckets(m);
      seen[1] = A::oldbuckets(m);
      for (const Slot& s : slots) {
        if (!s.it || !A::iter_walking(*s.it)) continue;
        auto count = [&](const auto* arr) {
          if (arr == nullptr || std::find(seen, seen + nseen, arr) != seen + nseen) return;
          seen[nseen++] = arr;
          held += static_cast<std::int64_t>(filled_slots(arr));
        };
        count(A::iter_snapshot(*s.it));
        count(A::iter_owner(*s.it));
      }
      const auto owning = CountedValue::stats().owning;
      if (owning != held) {
        fail_with("counted: values", owning, " values are alive for ", held,
                  " entries (a value not destroyed on delete, or destroyed while in use)");
      }
    }
    std::size_t walking = 0;
    for (const Slot& s : slots) {
      if (!s.it) continue;
      const bool w = A::iter_walking(*s.it);
      if (w != (s.oracle->started() && !s.oracle->ended())) {
        fail_with("iteration: lifetime", "an iterator is ", w ? "still walking after its end" : "not walking before its end");
      }
      if (!w) continue;
      ++walking;
      const auto* snap = A::iter_snapshot(*s.it);
      const auto* owner = A::iter_owner(*s.it);
      if (snap == nullptr || snap->refs() == 0 || snap->log2_len() != A::iter_B(*s.it) ||
          (owner != nullptr && owner->refs() == 0)) {
        fail_with("iteration: lifetime", "an open iterator holds a bucket array that is not alive");
      }
    }
    if (walking != A::live_iterators(m)) {
      fail_with("iteration: lifetime", "the map counts ", A::live_iterators(m), " live iterators, want ", walking);
    }
    if (!opt_.invariants) return;
    ++since_full_;
    whole_checked_ = false;
    if (full || since_full_ >= full_check_period(inv.total_buckets())) {
      check_whole(inv, /*late=*/!full);
    } else {
      inv.check_touched(before, touched, key);
    }
  }

  [[gnu::always_inline]] TOPHASH_HARNESS std::size_t full_check_period(std::size_t total_buckets) const {
    if (opt_.full_check_spread == 0) return 1;
    const std::size_t by_size = (total_buckets + opt_.full_check_spread - 1) / opt_.full_check_spread;
    return by_size > opt_.full_check_period ? by_size : opt_.full_check_period;
  }

  // The whole table. `late`: a periodic or final check, which may find
  // what an op before the last one did.
  TOPHASH_HARNESS void check_whole(InvariantChecker<Map>& inv, bool late) {
    late_ = late && !every_op();
    inv.check_all();
    late_ = false;
    since_full_ = 0;
    whole_checked_ = true;
    ++v_.stats.full_checks;
  }
  TOPHASH_HARNESS bool every_op() const { return opt_.full_check_spread == 0 || opt_.full_check_period <= 1; }
  // Before an op that rebuilds the table (clear, reserve, shrink_to_fit)
  // and so would erase the evidence: the whole table, unless already
  // checked since the last op.
  TOPHASH_HARNESS void check_before_rebuild(InvariantChecker<Map>& inv) {
    if (check_ && opt_.invariants && since_full_ != 0) check_whole(inv, /*late=*/true);
  }

  TOPHASH_HARNESS void final_checks(Map& m, InvariantChecker<Map>& inv) {
    // The whole table, unless the last op's check was of the whole table.
    if (opt_.invariants && !whole_checked_) check_whole(inv, /*late=*/true);
    final_contents(m);
  }

  // flatten: the map's iteration and lookups are inlined here, where they
  // carry no coverage instrumentation (TOPHASH_HARNESS). They are the
  // harness's probes of the final state, run for every program: counted
  // as the program's coverage they would credit every program that ends
  // mid-growth with iterating during growth, and cost a traced compare
  // per slot visited.
  [[gnu::flatten]] TOPHASH_HARNESS void final_contents(Map& m) {
    // A fresh iteration at the end yields exactly the model, and a lookup
    // of each key it yields finds that very slot. Nothing is written while
    // it runs, so Go's contract (IterOracle) comes down to: every yield is
    // an entry of the model, with its value and its key as last put; no
    // entry twice (each yielded entry is marked); as many as the model
    // holds; the NaN entries' values, as a multiset, those of the model.
    // So every entry of the model is looked up too, through the entry the
    // iteration found; one the iteration missed is looked up on its own.
    auto& nans = (*ws_).final_nans;
    reset_keeping_capacity(nans);
    const std::uint64_t mark = model_.new_mark();
    std::size_t yielded = 0;
    Iter it = m.iterate(IterStart{0, 0});
    for (bool more = !it.done(); more; more = it.next()) {
      std::uint64_t key = 0;
      bool value_ok = false;
      if (!Ops::key_repr(interner_, it.key(), key)) {
        fail_with("final: iteration", "a full iteration yielded ", ktext(it.key()), ", a key the program never put");
      }
      const std::uint64_t value = Ops::value_repr(p_, interner_, it.value(), value_ok);
      if (Ops::is_nan(it.key())) {
        nans.push_back(value);
        continue;
      }
      const std::uint64_t id = Ops::identity(key);
      const ModelEntry* e = model_.get(id, false);
      if (const V* v = m.get(it.key()); v != &it.value()) {
        fail_with("final: contents", "at the end, get ", lit(key), " gives ", vtext(v),
                  v ? " from another slot than" : " but", " a full iteration yielded it with ", vtext(&it.value()));
      }
      if (const auto x = IterOracle::compare(e, key, value, value_ok); x != IterOracle::Mismatch::kNone) {
        IterOracle::fail_mismatch(x, id, key, e, fmt_);
      }
      if (e->mark == mark) IterOracle::fail_yielded_twice(id, fmt_);
      e->mark = mark;
      ++yielded;
    }
    if (yielded != model_.entries().size()) {  // fewer: each yield marked a distinct entry
      for (const auto& [id, e] : model_.entries()) {
        if (e.mark == mark) continue;
        const V* v = m.get(Ops::key(p_, e.key));
        bool value_ok = false;
        if (v == nullptr || Ops::value_repr(p_, interner_, *v, value_ok) != e.value || !value_ok) {
          fail_with("final: contents", "at the end, get ", lit(e.key), " gives ", vtext(v), ", want ", vlit(e.value));
        }
        IterOracle::fail_never_yielded(id, model_.entries().size() - yielded - 1, fmt_);
      }
    }
    if (!nans.empty() || !model_.nan_values().empty()) final_nans(nans);
  }

  // The NaN entries a full iteration yielded (their values) against the model's.
  [[gnu::noinline]] TOPHASH_HARNESS void final_nans(std::vector<std::uint64_t>& got) {
    std::vector<std::uint64_t> want = model_.nan_values();
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    std::size_t i = 0, j = 0;
    while (i < got.size() || j < want.size()) {
      if (j == want.size() || (i < got.size() && got[i] < want[j])) IterOracle::fail_nan_too_often(got[i]);
      if (i == got.size() || want[j] < got[i]) IterOracle::fail_nan_never_yielded(want[j]);
      ++i;
      ++j;
    }
  }

  const Program& p_;
  const ExecOptions& opt_;
  Verdict& v_;
  const bool check_;
  WorkspaceLease ws_;
  Interner& interner_;
  typename Hash::Pins& pins_;
  Model& model_;
  IterOracle::Format fmt_;
  std::size_t since_full_ = 0;  // ops since the last whole-table check
  bool whole_checked_ = false;   // the whole table was checked after the last op
  bool late_ = false;  // a periodic or final whole-table check is running

 public:
  // Whether the failure (if any) came from a periodic or final whole-table
  // check, which may find it some ops after the op that caused it.
  bool failed_late() const { return late_; }
};

// A failure a whole-table check found later than the op that caused it:
// run again checking the whole table after every op, so the report names
// that op (the run is deterministic: it fails again, there or before).
template <trace::KeyType T>
[[gnu::noinline, gnu::cold]] TOPHASH_HARNESS void pin_failure(const trace::Program& p, const ExecOptions& opt, Verdict& v) {
  ExecOptions every = opt;
  every.full_check_period = 1;
  every.full_check_spread = 0;
  Verdict again;
  Run<T>(p, every, again).run();
  if (again.failure) v = std::move(again);
}
}  // namespace exec_detail

template <trace::KeyType T>
TOPHASH_HARNESS void run_program(const trace::Program& p, const ExecOptions& opt, Verdict& v) {
  bool late = false;
  {
    exec_detail::Run<T> run(p, opt, v);
    run.run();
    late = v.failure && run.failed_late();
  }
  if (late) exec_detail::pin_failure<T>(p, opt, v);
}

}  // namespace tophash::reference
