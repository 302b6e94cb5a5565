// reference/executor_checks.h: Run<T>'s checks (executor_run.h) after every
// op (the count, counted values, iterator lifetimes, the invariants of
// what the op touched or of the whole table, growWork's pace) and at the end (the whole
// table, and a fresh iteration and lookups against the model).
#pragma once

#include <algorithm>

#include "executor_run.h"

namespace tophash::reference::exec_detail {

template <KeyType T>
void Run<T>::after_op(const Op& op, const Before& b, const Effect& e) {
  const Map& m = *m_;
  if (!e.may_replace && A::buckets(m) != b.arr) {
    fail_with("growth: unexpected", "'", [this, o = &op](std::string& s) { s += trace::print_op(p_, *o); },
              "' replaced the bucket array");
  }
  if (m.size() != model_->size()) {
    fail_with("result: len", "the map holds ", m.size(), " entries, want ", model_->size());
  }
  if constexpr (kCounted) check_counted_values();
  check_iterator_lifetimes();
  pace_pending_ = true;  // the whole-table check below leaves the pace's part to check_pace
  if (opt_.invariants) check_invariants(b, e);
  check_pace(op, b, e);
  pace_pending_ = false;
  if (whole_checked_) check_pace_whole(/*late=*/!e.full);
}

template <class Arr>
std::size_t filled_slots(const Arr* arr) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < arr->len(); ++i) {
    for (const auto* b = arr->bucket(i); b != nullptr; b = b->overflow) {
      for (auto t : b->tophash) n += internal::is_filled(t);
    }
  }
  return n;
}

// Counted values alive: one per entry the map holds, plus those in arrays
// only iterators still hold: after a clear abandons a growth, an iterator
// on the old array keeps its unevacuated entries alive (golang/go#59411).
template <KeyType T>
void Run<T>::check_counted_values() {
  if (const char* e = CountedKey::stats().error) fail_with("counted: misuse", e);
  if (const char* e = CountedValue::stats().error) fail_with("counted: misuse", e);
  const std::int64_t held = counted_held();
  const auto owning = CountedValue::stats().owning;
  if (owning != held) {
    fail_with("counted: values", owning, " values are alive for ", held,
              " entries (a value not destroyed on delete, or destroyed while in use)");
  }
}

// Values every map's entries hold, and those in the old arrays only
// iterators hold.
template <KeyType T>
std::int64_t Run<T>::counted_held() {
  std::int64_t held = 0;
  // Arrays counted so far (on the stack for up to kInlineSlots iterators).
  std::array<const void*, 2 * trace::kMaxMaps + 2 * kInlineSlots> seen_inline;
  std::vector<const void*> seen_more;
  std::size_t nseen = 0;
  if (nslots_ > kInlineSlots) seen_more.resize(2 * trace::kMaxMaps + 2 * nslots_);
  const void** seen = nslots_ > kInlineSlots ? seen_more.data() : seen_inline.data();
  auto count = [&](const auto* arr, bool filled) {
    if (arr == nullptr || std::find(seen, seen + nseen, arr) != seen + nseen) return;
    seen[nseen++] = arr;
    if (filled) held += static_cast<std::int64_t>(filled_slots(arr));
  };
  for (const World& w : worlds_) {
    if (!w.map) continue;
    held += static_cast<std::int64_t>(w.model->size());
    count(A::buckets(*w.map), false);
    count(A::oldbuckets(*w.map), false);
  }
  each_slot([&](Slot& s) {
    if (!s.it || !A::iter_walking(*s.it)) return;
    count(A::iter_snapshot(*s.it), true);
    count(A::iter_owner(*s.it), true);
  });
  return held;
}

// Each open iterator walks exactly while its oracle says it should, on
// arrays that are alive; each map counts its own.
template <KeyType T>
void Run<T>::check_iterator_lifetimes() {
  std::array<std::size_t, trace::kMaxMaps> walking{};
  each_slot([&](Slot& s) {
    if (!s.it) return;
    const bool w = A::iter_walking(*s.it);
    if (w != (s.oracle->started() && !s.oracle->ended())) {
      fail_with("iteration: lifetime", "an iterator is ", w ? "still walking after its end" : "not walking before its end");
    }
    if (!w) return;
    ++walking[s.world];
    const auto* snap = A::iter_snapshot(*s.it);
    const auto* owner = A::iter_owner(*s.it);
    if (snap == nullptr || snap->refs() == 0 || snap->log2_len() != A::iter_B(*s.it) ||
        (owner != nullptr && owner->refs() == 0)) {
      fail_with("iteration: lifetime", "an open iterator holds a bucket array that is not alive");
    }
  });
  for (std::size_t n = 0; n < worlds_.size(); ++n) {
    if (!worlds_[n].map || walking[n] == A::live_iterators(*worlds_[n].map)) continue;
    fail_with("iteration: lifetime", "map ", n, " counts ", A::live_iterators(*worlds_[n].map),
              " live iterators, want ", walking[n]);
  }
}

// growWork's pace (growth_pace.h): what the op should have evacuated.
template <KeyType T>
void Run<T>::check_pace(const Op& op, const Before& b, const Effect& e) {
  const Map& m = *m_;
  switch (op.kind) {
    case OpKind::kPut: pace_->after_write(m, e.touched, true); break;
    case OpKind::kDel:
      if (b.count != 0) {
        pace_->after_write(m, e.touched, false);
      } else {
        pace_->after_read(m);  // mapdelete returns at once on an empty map
      }
      break;
    case OpKind::kClear: pace_->after_clear(m, b.count == 0); break;
    case OpKind::kReserve:
    case OpKind::kShrinkToFit:
    case OpKind::kEraseIf: pace_->after_rebuild(m); break;
    case OpKind::kTryEmplace:
    case OpKind::kInsertOrAssign:
    case OpKind::kIndex: pace_->after_write(m, e.touched, true); break;
    case OpKind::kDelAt:
      if (!e.key) {
        pace_->after_read(m);  // the iterator stood on no key
      } else if (b.count != 0) {
        pace_->after_write(m, e.touched, false);
      } else {
        pace_->after_read(m);
      }
      break;
    case OpKind::kMove:
    case OpKind::kSwap:
    case OpKind::kUse: pace_->resync(m); break;
    default: pace_->after_read(m); break;
  }
}

// The buckets the op touched, or the whole table when the op may have
// touched any bucket or a periodic check is due (ExecOptions::invariants).
template <KeyType T>
void Run<T>::check_invariants(const Before& b, const Effect& e) {
  ++since_full_;
  whole_checked_ = false;
  if (e.full || since_full_ >= full_check_period(inv_->total_buckets())) {
    check_whole(/*late=*/!e.full);
  } else {
    inv_->check_touched(b.inv, e.touched, e.key && e.touched ? &*e.key : nullptr);
  }
}

template <KeyType T>
[[gnu::always_inline]] inline std::size_t Run<T>::full_check_period(std::size_t total_buckets) const {
  if (opt_.full_check_spread == 0) return 1;
  const std::size_t by_size = (total_buckets + opt_.full_check_spread - 1) / opt_.full_check_spread;
  return by_size > opt_.full_check_period ? by_size : opt_.full_check_period;
}

// The whole table. `late`: a periodic or final check, which may find what
// an op before the last one did.
template <KeyType T>
void Run<T>::check_whole(bool late) {
  late_ = late && !every_op();
  inv_->check_all();
  if (!pace_pending_) pace_->check_all(*m_);
  late_ = false;
  since_full_ = 0;
  whole_checked_ = true;
  ++v_.stats.full_checks;
}

// Every old bucket against growWork's pace, after this op's pace check.
template <KeyType T>
void Run<T>::check_pace_whole(bool late) {
  late_ = late && !every_op();
  pace_->check_all(*m_);
  late_ = false;
}

// Before an op that rebuilds the table (clear, reserve, shrink_to_fit) and
// so would erase the evidence: the whole table, unless already checked
// since the last op.
template <KeyType T>
void Run<T>::check_before_rebuild() {
  if (check_ && opt_.invariants && since_full_ != 0) check_whole(/*late=*/true);
}

template <KeyType T>
void Run<T>::final_checks() {
  // The whole table, unless the last op's check was of the whole table.
  if (opt_.invariants && !whole_checked_) check_whole(/*late=*/true);
  final_contents();
}

// flatten: the map's iteration and lookups are inlined here, where they
// carry no coverage instrumentation (fuzz/coverage-ignorelist.txt). They are the
// harness's probes of the final state, run for every program: counted as
// the program's coverage they would credit every program that ends
// mid-growth with iterating during growth, and cost a traced compare per
// slot visited.
//
// A fresh iteration at the end yields exactly the model, and a lookup of
// each key it yields finds that very slot. Nothing is written while it
// runs, so Go's contract (IterOracle) comes down to: every yield is an
// entry of the model, with its value and its key as last put; no entry
// twice (each yielded entry is marked); as many as the model holds; the
// NaN entries' values, as a multiset, those of the model. So every entry
// of the model is looked up too, through the entry the iteration found;
// one the iteration missed is looked up on its own (final_missed).
template <KeyType T>
[[gnu::flatten]] void Run<T>::final_contents() {
  Map& m = *m_;
  auto& nans = (*ws_).final_nans;
  reset_keeping_capacity(nans);
  const std::uint64_t mark = model_->new_mark();
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
    const ModelEntry* e = model_->get(id, false);
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
  if (yielded != model_->entries().size()) final_missed(mark, yielded);  // fewer: each yield marked a distinct entry
  if (!nans.empty() || !model_->nan_values().empty()) final_nans(nans);
}

// The model's entries the final iteration did not yield (not marked).
template <KeyType T>
[[gnu::flatten]] void Run<T>::final_missed(std::uint64_t mark, std::size_t yielded) {
  for (const auto& [id, e] : model_->entries()) {
    if (e.mark == mark) continue;
    const V* v = m_->get(Ops::key(p_, e.key));
    bool value_ok = false;
    if (v == nullptr || Ops::value_repr(p_, interner_, *v, value_ok) != e.value || !value_ok) {
      fail_with("final: contents", "at the end, get ", lit(e.key), " gives ", vtext(v), ", want ", vlit(e.value));
    }
    IterOracle::fail_never_yielded(id, model_->entries().size() - yielded - 1, fmt_);
  }
}

// The NaN entries a full iteration yielded (their values) against the model's.
template <KeyType T>
void Run<T>::final_nans(std::vector<std::uint64_t>& got) {
  std::vector<std::uint64_t> want = model_->nan_values();
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

}  // namespace tophash::reference::exec_detail
