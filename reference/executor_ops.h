// reference/executor_ops.h: Run<T>'s handler of each op kind (executor_run.h):
// the op on the map (through probe.h) and on the model, the op's own
// result checks, and what the checks after it need to know (Effect).
#pragma once

#include "executor_run.h"

namespace tophash::reference::exec_detail {

template <KeyType T>
bool Run<T>::on_pin(const Op& op) {
  if (Ops::may_be_nan(op.a)) return nans_.push(op.b), true;  // the next NaN hashing's (keys.h NanPins)
  const std::uint64_t id = Ops::identity(op.a);
  bool present = false;  // in any of the program's maps (they share the pins)
  for (const World& w : worlds_) present = present || (w.model != nullptr && w.model->get(id, false) != nullptr);
  if (check_ && present) {
    auto it = pins_.find(id);
    if (it != pins_.end() && it->second != op.b) {
      // Go changes a key's hash only by reseeding an empty map; a key whose
      // hash changes while it is in the map cannot be found again, which no
      // map could help. Refused, rather than judged.
      refuse(op, "the hash of key " + trace::key_literal(p_, op.a) +
                     " changes while the key is in the map; lockstep checking needs "
                     "a key's hash to change only while the key is absent");
      return false;
    }
  }
  pins_[id] = op.b;
  return true;
}

template <KeyType T>
void Run<T>::on_put(const Op& op, const Before& b, Effect& e) {
  e.may_replace = true;
  const bool nan = Ops::may_be_nan(op.a);
  const std::uint64_t id = Ops::identity(op.a);
  // The model first: its put tells whether the key was there (a NaN is
  // always a new entry), one model lookup instead of two.
  const bool existed = check_ && !model_->put(id, op.a, op.b, nan);
  hold(e, op.a);
  auto [vp, added] = probe::map_put(*m_, *e.key, Ops::value(p_, op.b));
  if (!nan) e.touched = hash_now(*e.key);
  if (!check_) return;
  if (added == existed) {
    fail_with("result: put", "put ", lit(op.a), added ? " added a key already in the map" : " found a key not in the map");
  }
  bool value_ok = false;
  if (Ops::value_repr(p_, interner_, *vp, value_ok) != op.b || !value_ok) {
    fail_with("result: put", "after put ", lit(op.a), " the entry holds value ", vtext(vp));
  }
  if (nan) {
    each_here([&](Slot& s) {
      if (s.oracle->started() && !s.oracle->ended()) s.oracle->on_put_nan(op.b);
    });
  }
  check_growth_start(added, b);
}

// mapassign: a key not found starts a growth when the map is not growing
// and is over its load factor or has too many overflow buckets. "Not
// growing" is judged after growWork, so a put that finishes one growth can
// start the next; noverflow at that moment (the finished growth's count)
// is not observable from here, so then only the load factor is held to
// account.
template <KeyType T>
void Run<T>::check_growth_start(bool added, const Before& b) {
  const Map& m = *m_;
  const bool did = b.arr != nullptr && A::buckets(m) != b.arr;
  const bool bigger = go::over_load_factor(b.count + 1, b.B);
  const bool finished_now = b.growing && (did || !A::growing(m));
  bool want = added && b.arr != nullptr && !b.growing && (bigger || go::too_many_overflow_buckets(b.noverflow, b.B));
  if (added && finished_now) want = did ? true : bigger;
  if (want != did || (did && A::B(m) != b.B + (bigger ? 1 : 0))) {
    const unsigned B1 = A::B(m);
    fail_with("growth: trigger", "put of a ", added ? "new" : "present", " key with count ", b.count, ", B ", b.B,
              ", noverflow ", b.noverflow, b.growing ? ", growing" : ", not growing",
              want ? " should start a " : " should not start a ", bigger ? "doubling" : "same-size", " growth; it ",
              did ? "grew to B " : "did not", [did, B1](std::string& s) {
                if (did) s += std::to_string(B1);
              });
  }
  if (!did) return;
  (bigger ? v_.stats.grew : v_.stats.same_size_grew) = true;
  each_here([&](Slot& s) {
    if (s.it && A::iter_walking(*s.it)) v_.stats.iterator_saw_growth = true;
    s.oracle->on_growth_start(!bigger);
  });
}

template <KeyType T>
void Run<T>::on_del(std::uint64_t a, Effect& e) {
  const bool nan = Ops::may_be_nan(a);
  const std::uint64_t id = Ops::identity(a);
  hold(e, a);
  if (!nan) e.touched = hash_now(*e.key);  // before: a delete that empties the map reseeds it
  const std::size_t n = probe::map_erase(*m_, *e.key);
  if (!check_) return;
  const std::size_t want = model_->erase(id, nan);
  if (n != want) fail_with("result: del", "del ", lit(a), " erased ", n, ", want ", want);
  if (n == 0) return;
  // mapdelete reseeds a map it empties.
  const bool reseed = model_->size() == 0;
  each_here([&](Slot& s) {
    s.oracle->on_erase(id);
    if (reseed) s.oracle->on_reseed();
  });
}

template <KeyType T>
void Run<T>::on_get(const Op& op, Effect& e) {
  const bool nan = Ops::may_be_nan(op.a);
  hold(e, op.a);
  // A lookup writes nothing (no growth work either, as mapaccess): no
  // chain to check after it but the scalars and growth state. A lookup
  // that did write is found by the whole-table checks.
  const V* v = probe::map_get(*m_, *e.key);
  if (opt_.output) output("get ", lit(op.a), " ", vtext(v), "\n");
  if (!check_) return;
  const ModelEntry* want = model_->get(Ops::identity(op.a), nan);
  bool value_ok = false;
  if ((v == nullptr) != (want == nullptr) ||
      (v != nullptr && (Ops::value_repr(p_, interner_, *v, value_ok) != want->value || !value_ok))) {
    fail_with("result: get", "get ", lit(op.a), " gave ", vtext(v), ", want ", [this, want](std::string& s) {
      s += want ? trace::value_literal(p_, want->value) : "missing";
    });
  }
}

template <KeyType T>
void Run<T>::on_len() {
  if (opt_.output) output("len ", m_->size(), "\n");
}

template <KeyType T>
void Run<T>::on_clear(Effect& e) {
  check_before_rebuild();
  if (check_) {
    each_here([&](Slot& s) {
      // mapclear does nothing to an empty map: no reset, no reseed.
      if (s.oracle->open() && model_->size() != 0) s.oracle->on_clear(*model_, phase(*m_));
    });
    model_->clear();
  }
  probe::map_clear(*m_);
  e.full = true;
}

template <KeyType T>
void Run<T>::on_iter(const Op& op) {
  Slot& s = slot(op.iter);
  s.it.reset();
  s.oracle->reset();
  s.pending = IterStart{op.b, op.c};
  s.world = cur_;
  s.last_key.reset();
}

// One step of an iterator (the first initialises it); whether it yielded.
template <KeyType T>
bool Run<T>::on_next(Slot& s, const Op& op) {
  // The iterator's own map is the current one while it steps.
  const std::size_t here = cur_;
  if (s.world != here) select(s.world);
  const bool more = step_iter(s, op);
  if (s.world != here) select(here);
  return more;
}

template <KeyType T>
bool Run<T>::step_iter(Slot& s, const Op& op) {
  Map& m = *m_;
  bool more = false;
  if (s.pending) {
    probe::iter_start(s.it, m, *s.pending);
    s.pending.reset();
    if (check_) s.oracle->start(*model_, phase(m));
    more = !s.it->done();
  } else if (s.it) {
    if (A::growing(m)) v_.stats.iterated_while_growing = true;
    if (check_) s.oracle->on_step(phase(m));
    more = probe::iter_next(*s.it);
  }
  s.last_key.reset();
  if (std::uint64_t k = 0; more && Ops::key_repr(interner_, s.it->key(), k)) s.last_key = k;
  if (opt_.output) {
    if (more) {
      output("next ", iter_name(op), " ", ktext(s.it->key()), " ", vtext(&s.it->value()), "\n");
    } else {
      output("next ", iter_name(op), " end\n");
    }
  }
  if (!check_ || !s.oracle->started()) return more;
  if (more) {
    check_yield(s, op);
  } else if (!s.oracle->ended()) {
    s.oracle->end(phase(m), fmt_);
    v_.stats.go_filter += s.oracle->nan_skipped();
  }
  return more;
}

// What an iterator just yielded, against the oracle.
template <KeyType T>
void Run<T>::check_yield(Slot& s, const Op& op) {
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
  const std::uint64_t hash = s.oracle->wants_hash() && !nan ? hash_now(s.it->key()) : 0;
  switch (s.oracle->yield(Ops::identity(key), key, value, value_ok, nan, phase(*m_), hash, *model_, fmt_)) {
    case IterOracle::Deviation::kNone: break;
    case IterOracle::Deviation::kGo59411: ++v_.stats.go59411; break;
    case IterOracle::Deviation::kStaleCopy: ++v_.stats.go_stale_array; break;
    case IterOracle::Deviation::kFilterDropped: ++v_.stats.go_filter; break;
    case IterOracle::Deviation::kClearMark: ++v_.stats.go_clear_mark; break;
  }
}

template <KeyType T>
void Run<T>::on_drain(const Op& op) {
  Slot& s = slot(op.iter);
  std::size_t n = 0;
  while (on_next(s, op)) {
    if (++n > opt_.max_drain) {
      fail_with("iteration: does not end", "drain ", iter_name(op), " took more than ", opt_.max_drain, " steps");
    }
  }
}

template <KeyType T>
void Run<T>::on_close(const Op& op) {
  Slot& s = slot(op.iter);
  s.it.reset();
  s.pending.reset();
  s.oracle->reset();
  s.last_key.reset();
}

template <KeyType T>
bool Run<T>::on_reserve(const Op& op, const Before& b, Effect& e) {
  if (too_big(op, "reserve")) return false;
  check_before_rebuild();
  probe::map_reserve(*m_, op.a);
  if (A::buckets(*m_) != b.arr) rebuilt();
  e.full = e.may_replace = true;
  return true;
}

template <KeyType T>
void Run<T>::on_shrink(Effect& e) {
  check_before_rebuild();
  probe::map_shrink(*m_);
  rebuilt();  // always, even an empty map's: see BucketMap::shrink_to_fit
  e.full = e.may_replace = true;
}

template <KeyType T>
void Run<T>::on_dump() {
  if (opt_.output) output([this](std::string& s) { s += dump_layout(*m_); });
}

}  // namespace tophash::reference::exec_detail
