// reference/executor_maps.h: a program's several maps (executor_api.h):
// copy N, move N, swap N and use N, and the iterators' contract across
// them (trace/trace-format.md, "Several maps"):
//   copy N   the current map's iterators go on as before (a copy only
//            reads its source); map N's end (it is assigned to)
//   move N   the iterators of both maps end; the current map is left empty
//            and usable (BucketMap's moved-from state)
//   swap N   the iterators of both maps end
//   use N    nothing ends; iterators stay with the map they were made on
// An ended iterator is destroyed at once (its map object still alive, so
// its count of live iterators is what is given back) and never stepped
// again: a later `next` prints its end, as after `close`.
#pragma once

#include "executor_api.h"

namespace tophash::reference::exec_detail {

template <KeyType T>
bool Run<T>::on_maps(const Op& op, Effect& e) {
  const std::size_t n = op.a;
  e.full = e.may_replace = true;
  if (op.kind == OpKind::kUse) {
    if (n == cur_) return true;
    check_before_rebuild();  // the map left gets its whole-table check now
    world(n);
    select(n);
    return true;
  }
  if (n == cur_) {
    refuse(op, "'" + trace::print_op(p_, op) + "' names the current map (want another map's number)");
    return false;
  }
  check_before_rebuild();
  const std::size_t src = cur_;
  switch (op.kind) {
    case OpKind::kCopy: copy_to(worlds_[n]); break;
    case OpKind::kMove: move_to(worlds_[n]); break;
    default: {
      World& other = world(n);
      probe::map_swap(*m_, *other.map);
      if (check_) std::swap(*model_, *other.model);
      end_iterators(src);
      break;
    }
  }
  end_iterators(n);
  worlds_[n].pace->resync(*worlds_[n].map);
  if (check_) check_other(n);
  return true;
}

// What judges a map that a copy or a move just made.
template <KeyType T>
void Run<T>::judge(World& dst) {
  dst.inv.emplace(*dst.map);
  dst.pace.emplace(dst.evacuated);
  dst.own_model = std::make_unique<Model>();
  dst.model = dst.own_model.get();
}

// Map dst becomes a copy of the current map (copy-constructed the first
// time, copy-assigned after).
template <KeyType T>
void Run<T>::copy_to(World& dst) {
  const bool fresh = !dst.map;
  probe::map_copy(dst.map, *m_);
  if (fresh) judge(dst);
  if (check_) *dst.model = *model_;
}

// Map dst takes the current map's contents; the current map is left
// empty and usable.
template <KeyType T>
void Run<T>::move_to(World& dst) {
  const bool fresh = !dst.map;
  probe::map_move(dst.map, *m_);
  if (fresh) judge(dst);
  if (check_) {
    *dst.model = *model_;
    model_->clear();
  }
  end_iterators(cur_);
}

template <KeyType T>
void Run<T>::end_iterators(std::size_t world) {
  each_slot([world](Slot& s) {
    if (s.world != world) return;
    s.it.reset();
    s.pending.reset();
    s.oracle->reset();
    s.last_key.reset();
  });
}

// The map an op wrote besides the current one: its count against its
// model and its whole table (the current map's are after_op's).
template <KeyType T>
void Run<T>::check_other(std::size_t n) {
  World& w = worlds_[n];
  if (w.map->size() != w.model->size()) {
    fail_with("result: len", "map ", n, " holds ", w.map->size(), " entries, want ", w.model->size());
  }
  if (opt_.invariants) {
    w.inv->check_all();
    w.pace->check_all(*w.map);
  }
}

}  // namespace tophash::reference::exec_detail
