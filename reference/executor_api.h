// reference/executor_api.h: Run<T>'s handlers (executor_run.h) of the C++
// API beyond Go's map (trace/trace-format.md, "The C++ API"): the insert
// family and the lookups, erase_if, deleting through an iterator, and a
// program's several maps (copy, move, swap, use), each judged against its
// own model, invariants and growth pace.
#pragma once

#include <bit>
#include <tuple>
#include <type_traits>

#include "executor_run.h"

namespace tophash::reference::exec_detail {

// try_emplace keeps a present key's value, insert_or_assign replaces it
// (as put), index (operator[]) keeps it or adds the default value.
template <KeyType T>
void Run<T>::on_write(const Op& op, const Before& b, Effect& e) {
  e.may_replace = true;
  const bool nan = Ops::may_be_nan(op.a);
  const std::uint64_t id = Ops::identity(op.a);
  const bool overwrite = op.kind == OpKind::kInsertOrAssign;
  const ModelEntry* old = check_ ? model_->get(id, nan) : nullptr;
  const bool existed = old != nullptr;
  const std::uint64_t want = existed && !overwrite ? old->value : op.b;  // index: b is the default value
  if (check_ && (overwrite || !existed)) model_->put(id, op.a, op.b, nan);
  hold(e, op.a);
  const V* vp = nullptr;
  bool added = false;
  if (op.kind == OpKind::kIndex) {
    const std::size_t n = m_->size();
    vp = &probe::map_index(*m_, *e.key);
    added = m_->size() != n;
  } else if (op.kind == OpKind::kTryEmplace) {
    std::tie(vp, added) = probe::map_try_emplace(*m_, *e.key, Ops::value(p_, op.b));
  } else {
    std::tie(vp, added) = probe::map_put(*m_, *e.key, Ops::value(p_, op.b));
  }
  if (!nan) e.touched = hash_now(*e.key);
  if (opt_.output) {
    if (op.kind == OpKind::kIndex) {
      output("index ", lit(op.a), " ", vtext(vp), "\n");
    } else {
      output(op.kind == OpKind::kTryEmplace ? "try_emplace " : "insert_or_assign ", lit(op.a),
             added ? " added\n" : op.kind == OpKind::kTryEmplace ? " kept\n" : " assigned\n");
    }
  }
  if (!check_) return;
  check_written(op, vp, added, existed, want);
  if (nan) each_here([&](Slot& s) { s.oracle->on_put_nan(op.b); });
  check_growth_start(added, b);
}

template <KeyType T>
void Run<T>::check_written(const Op& op, const V* vp, bool added, bool existed, std::uint64_t want) {
  const char* what = op.kind == OpKind::kIndex        ? "index "
                     : op.kind == OpKind::kTryEmplace ? "try_emplace "
                                                      : "insert_or_assign ";
  const char* check = op.kind == OpKind::kIndex ? "result: index" : "result: insert";
  if (added == existed) {
    fail_with(check, what, lit(op.a), added ? " added a key already in the map" : " found a key not in the map");
  }
  bool value_ok = false;
  if (Ops::value_repr(p_, interner_, *vp, value_ok) != want || !value_ok) {
    fail_with(check, "after ", what, lit(op.a), " the entry holds value ", vtext(vp), ", want ", vlit(want));
  }
}

// at (throws std::out_of_range on a missing key), find, count, contains:
// reads, checked against the model as get is.
template <KeyType T>
void Run<T>::on_lookup(const Op& op, Effect& e) {
  const bool nan = Ops::may_be_nan(op.a);
  hold(e, op.a);
  const V* v = nullptr;
  const K* k = nullptr;
  bool found = false;
  switch (op.kind) {
    case OpKind::kAt: v = probe::map_at(*m_, *e.key); break;
    case OpKind::kFind: {
      auto it = probe::map_find(*m_, *e.key);
      if (it != m_->end()) k = &it->first, v = &it->second;
      break;
    }
    case OpKind::kCount: found = probe::map_count(*m_, *e.key) == 1; break;
    default: found = probe::map_contains(*m_, *e.key); break;
  }
  if (v != nullptr) found = true;
  const char* name = op.kind == OpKind::kAt     ? "at "
                     : op.kind == OpKind::kFind  ? "find "
                     : op.kind == OpKind::kCount ? "count "
                                                 : "contains ";
  if (opt_.output) {
    if (op.kind == OpKind::kAt || op.kind == OpKind::kFind) {
      output(name, lit(op.a), " ", v ? value_text(*v) : std::string(op.kind == OpKind::kAt ? "out_of_range" : "end"), "\n");
    } else {
      output(name, lit(op.a), op.kind == OpKind::kCount ? (found ? " 1\n" : " 0\n") : (found ? " true\n" : " false\n"));
    }
  }
  if (!check_) return;
  const ModelEntry* want = model_->get(Ops::identity(op.a), nan);
  bool value_ok = true;
  std::uint64_t key = 0;
  const bool wrong_value = v && (Ops::value_repr(p_, interner_, *v, value_ok) != want->value || !value_ok);
  if (found != (want != nullptr) || (v && wrong_value) || (k && (!Ops::key_repr(interner_, *k, key) || key != want->key))) {
    fail_with("result: lookup", name, lit(op.a), " gave ", vtext(v), found ? " (found)" : " (not found)", ", want ",
              [this, want](std::string& s) { s += want ? trace::value_literal(p_, want->value) : "missing"; });
  }
}

// erase_if with the op's predicate on the entries' numbers (trace.h).
template <KeyType T>
void Run<T>::on_erase_if(const Op& op, Effect& e) {
  check_before_rebuild();
  e.full = true;
  auto number = [](const auto& x) -> std::uint64_t {
    if constexpr (T == KeyType::kString) return trace::string_number(x);
    else if constexpr (kCounted) return x.id();
    else if constexpr (T == KeyType::kDouble && std::is_same_v<std::remove_cvref_t<decltype(x)>, double>) return std::bit_cast<std::uint64_t>(x);
    else return x;
  };
  const std::size_t n = probe::map_erase_if(*m_, [&](const K& k, const V& v) {
    return trace::erase_pred_holds(op, number(k), number(v), Ops::is_nan(k));
  });
  if (opt_.output) output("erase_if ", n, "\n");
  if (!check_) return;
  erased_ids_.clear();
  erased_nans_.clear();
  const std::size_t want = model_->erase_if(
      [&](std::uint64_t key, std::uint64_t value, bool nan) {
        return trace::erase_pred_holds(op, nan ? 0 : trace::key_number(p_, key), trace::value_number(p_, value), nan);
      },
      erased_ids_, erased_nans_);
  if (n != want) fail_with("result: erase_if", "erase_if erased ", n, ", want ", want);
  const bool reseed = want != 0 && model_->size() == 0;  // as mapdelete, it reseeds a map it empties
  each_here([&](Slot& s) {
    for (std::uint64_t id : erased_ids_) s.oracle->on_erase(id);
    for (std::uint64_t v : erased_nans_) s.oracle->on_erase_nan(v);
    if (reseed) s.oracle->on_reseed();
  });
}

// del_at ID: `delete(m, k)` of the key iterator ID last yielded (the loop
// variable of `for k := range m`), from the current map.
template <KeyType T>
void Run<T>::on_del_at(const Op& op, Effect& e) {
  const Slot& s = slot(op.iter);
  if (!s.last_key) {
    if (opt_.output) output("del_at ", iter_name(op), " none\n");
    return;
  }
  const std::uint64_t key = *s.last_key;
  if (opt_.output) output("del_at ", iter_name(op), " ", lit(key), "\n");
  on_del(key, e);
}

}  // namespace tophash::reference::exec_detail

#include "executor_maps.h"
