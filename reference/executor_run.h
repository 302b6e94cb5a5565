// reference/executor_run.h: the lockstep executor's core, Run<T> for one
// key type. Each key type is instantiated in a file of its own
// (run_<type>.cc), so the four compile in parallel; executor.cc
// dispatches on Program::config.keys.
#pragma once

#include <optional>
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
inline bool over_load_factor(std::size_t count, unsigned B) {
  return count > internal::kBucketCnt && count > 13 * ((std::size_t{1} << B) / 2);
}
inline bool too_many_overflow_buckets(std::size_t noverflow, unsigned B) {
  return noverflow >= (std::size_t{1} << (B < 15 ? B : 15));
}

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
    IterOracle oracle;
  };

 public:
  Run(const Program& p, const ExecOptions& opt, Verdict& v)
      : p_(p), opt_(opt), v_(v), check_(opt.lockstep), interner_(p), fmt_([this](std::uint64_t id) {
          return trace::key_literal(p_, id);
        }) {}

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
      std::vector<Slot> slots(p_.iter_names.size());
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
          final_checks(m, slots, inv);
        }
      } catch (CheckFailure& f) {
        v_.failure = Failure{std::move(f.check), std::move(f.detail), i, dump_layout(m)};
        return;
      }
      slots.clear();  // iterators end before their map
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

  TOPHASH_HARNESS void step(Map& m, std::vector<Slot>& slots, InvariantChecker<Map>& inv, const Op& op) {
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
            // Go changes a key's hash only by reseeding an empty map; a key
            // whose hash changes while it is in the map cannot be found again,
            // which no map could help. Refused, rather than judged.
            v_.error = trace::ParseError{op.line, "the hash of key " + trace::key_literal(p_, op.a) +
                                                      " changes while the key is in the map; lockstep checking needs "
                                                      "a key's hash to change only while the key is absent"};
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
        const bool existed = !nan && model_.get(id, false) != nullptr;
        key.emplace(Ops::key(p_, op.a));
        auto [vp, added] = map_put(m, *key, Ops::value(p_, op.b));
        if (!nan) touched = hash_now(m, *key);
        if (!check_) break;
        if (added == existed) {
          fail("result: put", "put " + trace::key_literal(p_, op.a) + (added ? " added a key already in the map"
                                                                              : " found a key not in the map"));
        }
        bool value_ok = false;
        if (Ops::value_repr(p_, interner_, *vp, value_ok) != op.b || !value_ok) {
          fail("result: put", "after put " + trace::key_literal(p_, op.a) + " the entry holds value " + value_text(*vp));
        }
        model_.put(id, op.a, op.b, nan);
        if (nan) {
          for (Slot& s : slots) {
            if (s.oracle.started() && !s.oracle.ended()) s.oracle.on_put_nan(op.b);
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
          fail("growth: trigger", "put of a " + std::string(added ? "new" : "present") + " key with count " +
                                      std::to_string(count0) + ", B " + std::to_string(B0) + ", noverflow " +
                                      std::to_string(nov0) + (growing0 ? ", growing" : ", not growing") +
                                      (want ? " should start a " : " should not start a ") +
                                      (bigger ? "doubling" : "same-size") + " growth; it " +
                                      (did ? "grew to B " + std::to_string(A::B(m)) : "did not"));
        }
        if (did) {
          (bigger ? v_.stats.grew : v_.stats.same_size_grew) = true;
          for (Slot& s : slots) {
            if (s.it && A::iter_walking(*s.it)) v_.stats.iterator_saw_growth = true;
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
          fail("result: del", "del " + trace::key_literal(p_, op.a) + " erased " + std::to_string(n) + ", want " +
                                  std::to_string(want));
        }
        if (n != 0) {
          for (Slot& s : slots) s.oracle.on_erase(id);
        }
        break;
      }
      case OpKind::kGet: {
        const bool nan = Ops::may_be_nan(op.a);
        key.emplace(Ops::key(p_, op.a));
        const V* v = map_get(m, *key);
        if (!nan) touched = hash_now(m, *key);
        if (opt_.output) {
          *opt_.output += "get " + trace::key_literal(p_, op.a) + " " + (v ? value_text(*v) : std::string("missing")) + "\n";
        }
        if (!check_) break;
        const ModelEntry* e = model_.get(Ops::identity(op.a), nan);
        bool value_ok = false;
        if ((v == nullptr) != (e == nullptr) ||
            (v != nullptr && (Ops::value_repr(p_, interner_, *v, value_ok) != e->value || !value_ok))) {
          fail("result: get", "get " + trace::key_literal(p_, op.a) + " gave " + (v ? value_text(*v) : "missing") +
                                  ", want " + (e ? trace::value_literal(p_, e->value) : "missing"));
        }
        break;
      }
      case OpKind::kLen:
        if (opt_.output) *opt_.output += "len " + std::to_string(m.size()) + "\n";
        break;
      case OpKind::kClear:
        if (check_) {
          for (Slot& s : slots) {
            if (s.oracle.started() && !s.oracle.ended()) s.oracle.on_clear(model_);
          }
          model_.clear();
        }
        map_clear(m);
        full = true;
        break;
      case OpKind::kIter: {
        Slot& s = slots[op.iter];
        s.it.reset();
        s.oracle = IterOracle{};
        s.pending = IterStart{op.b, op.c};
        break;
      }
      case OpKind::kNext: next(m, slots[op.iter], op); break;
      case OpKind::kDrain: {
        std::size_t n = 0;
        while (next(m, slots[op.iter], op)) {
          if (++n > opt_.max_drain) {
            fail("iteration: does not end", "drain " + p_.iter_names[op.iter] + " took more than " +
                                                std::to_string(opt_.max_drain) + " steps");
          }
        }
        break;
      }
      case OpKind::kClose: {
        Slot& s = slots[op.iter];
        s.it.reset();
        s.pending.reset();
        s.oracle = IterOracle{};
        break;
      }
      case OpKind::kReserve:
        if (too_big(op, "reserve")) return;
        map_reserve(m, op.a);
        full = may_replace = true;
        break;
      case OpKind::kShrinkToFit:
        map_shrink(m);
        full = may_replace = true;
        break;
      case OpKind::kDump:
        if (opt_.output) *opt_.output += dump_layout(m);
        break;
    }
    v_.stats.max_B = std::max<unsigned>(v_.stats.max_B, A::B(m));
    if (!check_) return;
    if (!may_replace && A::buckets(m) != arr0) {
      fail("growth: unexpected", "'" + trace::print_op(p_, op) + "' replaced the bucket array");
    }
    after_op(m, slots, inv, before, touched, key && touched ? &*key : nullptr, full);
  }

  // One step of an iterator; returns whether it yielded.
  TOPHASH_HARNESS bool next(Map& m, Slot& s, const Op& op) {
    bool more = false;
    if (s.pending) {
      iter_start(s.it, m, *s.pending);
      s.pending.reset();
      if (check_) s.oracle.start(model_);
      more = !s.it->done();
    } else if (s.it) {
      if (A::growing(m)) v_.stats.iterated_while_growing = true;
      more = iter_next(*s.it);
    }
    if (opt_.output) {
      *opt_.output += "next " + p_.iter_names[op.iter] + " " +
                      (more ? key_text(s.it->key()) + " " + value_text(s.it->value()) : std::string("end")) + "\n";
    }
    if (!check_ || !s.oracle.started()) return more;
    if (!more) {
      if (!s.oracle.ended()) s.oracle.end(fmt_);
      return false;
    }
    if (s.oracle.ended()) {
      fail("iteration: yielded after its end", "iterator " + p_.iter_names[op.iter] + " yielded " +
                                                   key_text(s.it->key()) + " after its end");
    }
    std::uint64_t key = 0;
    if (!Ops::key_repr(interner_, s.it->key(), key)) {
      fail("iteration: yielded a key not in the map",
           "iterator " + p_.iter_names[op.iter] + " yielded " + key_text(s.it->key()) + ", a key the program never put");
    }
    bool value_ok = false;
    const std::uint64_t value = Ops::value_repr(p_, interner_, s.it->value(), value_ok);
    if (s.oracle.yield(Ops::identity(key), key, value, value_ok, Ops::is_nan(s.it->key()), model_, fmt_)) {
      ++v_.stats.go59411;
    }
    return true;
  }

  template <class Arr>
  static std::size_t filled_slots(const Arr* arr) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < arr->len(); ++i) {
      for (const auto* b = arr->bucket(i); b != nullptr; b = b->overflow) {
        for (auto t : b->tophash) n += internal::is_filled(t);
      }
    }
    return n;
  }

  TOPHASH_HARNESS void after_op(Map& m, std::vector<Slot>& slots, InvariantChecker<Map>& inv,
                const typename InvariantChecker<Map>::Before& before, std::optional<std::uint64_t> touched,
                                const K* key, bool full) {
    if (m.size() != model_.size()) {
      fail("result: len", "the map holds " + std::to_string(m.size()) + " entries, want " + std::to_string(model_.size()));
    }
    if constexpr (kCounted) {
      for (const CountedStats* s : {&CountedKey::stats(), &CountedValue::stats()}) {
        if (s->error != nullptr) fail("counted: misuse", s->error);
      }
      // Entries the map holds, plus those in arrays only iterators still
      // hold: after a clear abandons a growth, an iterator on the old array
      // keeps its unevacuated entries alive (golang/go#59411).
      std::int64_t held = static_cast<std::int64_t>(model_.size());
      std::vector<const void*> seen{A::buckets(m), A::oldbuckets(m)};
      for (const Slot& s : slots) {
        if (!s.it || !A::iter_walking(*s.it)) continue;
        for (const auto* arr : {A::iter_snapshot(*s.it), A::iter_owner(*s.it)}) {
          if (arr == nullptr || std::find(seen.begin(), seen.end(), arr) != seen.end()) continue;
          seen.push_back(arr);
          held += static_cast<std::int64_t>(filled_slots(arr));
        }
      }
      const auto owning = CountedValue::stats().owning;
      if (owning != held) {
        fail("counted: values", std::to_string(owning) + " values are alive for " + std::to_string(held) +
                                    " entries (a value not destroyed on delete, or destroyed while in use)");
      }
    }
    std::size_t walking = 0;
    for (const Slot& s : slots) {
      if (!s.it) continue;
      const bool w = A::iter_walking(*s.it);
      if (w != (s.oracle.started() && !s.oracle.ended())) {
        fail("iteration: lifetime", std::string("an iterator is ") + (w ? "still walking after its end" : "not walking before its end"));
      }
      if (!w) continue;
      ++walking;
      const auto* snap = A::iter_snapshot(*s.it);
      const auto* owner = A::iter_owner(*s.it);
      if (snap == nullptr || snap->refs() == 0 || snap->log2_len() != A::iter_B(*s.it) ||
          (owner != nullptr && owner->refs() == 0)) {
        fail("iteration: lifetime", "an open iterator holds a bucket array that is not alive");
      }
    }
    if (walking != A::live_iterators(m)) {
      fail("iteration: lifetime", "the map counts " + std::to_string(A::live_iterators(m)) + " live iterators, want " +
                                      std::to_string(walking));
    }
    if (!opt_.invariants) return;
    ++since_full_;
    if (full || inv.total_buckets() <= opt_.full_check_buckets || since_full_ * opt_.full_check_spread >= inv.total_buckets()) {
      inv.check_all();
      since_full_ = 0;
      ++v_.stats.full_checks;
    } else {
      inv.check_touched(before, touched, key);
    }
  }

  TOPHASH_HARNESS void final_checks(Map& m, std::vector<Slot>& slots, InvariantChecker<Map>& inv) {
    if (opt_.invariants) {
      inv.check_all();
      ++v_.stats.full_checks;
    }
    for (const auto& [id, e] : model_.entries()) {
      const V* v = m.get(Ops::key(p_, e.key));
      bool value_ok = false;
      if (v == nullptr || Ops::value_repr(p_, interner_, *v, value_ok) != e.value || !value_ok) {
        fail("final: contents", "at the end, get " + trace::key_literal(p_, e.key) + " gives " +
                                    (v ? value_text(*v) : "missing") + ", want " + trace::value_literal(p_, e.value));
      }
    }
    // A fresh iteration at the end yields exactly the model.
    (void)slots;
    IterOracle all;
    all.start(model_);
    Iter it = m.iterate(IterStart{0, 0});
    for (bool more = !it.done(); more; more = it.next()) {
      std::uint64_t key = 0;
      bool value_ok = false;
      if (!Ops::key_repr(interner_, it.key(), key)) {
        fail("final: iteration", "a full iteration yielded " + key_text(it.key()) + ", a key the program never put");
      }
      const std::uint64_t value = Ops::value_repr(p_, interner_, it.value(), value_ok);
      all.yield(Ops::identity(key), key, value, value_ok, Ops::is_nan(it.key()), model_, fmt_);
    }
    all.end(fmt_);
  }

  const Program& p_;
  const ExecOptions& opt_;
  Verdict& v_;
  const bool check_;
  Interner interner_;
  typename Hash::Pins pins_;
  Model model_;
  IterOracle::Format fmt_;
  std::size_t since_full_ = 0;
};

}  // namespace exec_detail

template <trace::KeyType T>
void run_program(const trace::Program& p, const ExecOptions& opt, Verdict& v) {
  exec_detail::Run<T>(p, opt, v).run();
}

}  // namespace tophash::reference
