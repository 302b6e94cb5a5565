// tophash/internal/bucket_map_write.h: BucketMap's writes: mapassign,
// mapdelete, mapclear, growth and evacuation. Included by bucket_map.h.
#pragma once

namespace tophash {

#define TOPHASH_MAP_TEMPLATE template <class K, class V, class Hash, class KeyEqual, class Allocator>
#define TOPHASH_MAP BucketMap<K, V, Hash, KeyEqual, Allocator>

// mapassign: overwrite the key where it is, or take the first empty slot
// of its chain, growing first if the map is over its load factor or holds
// too many overflow buckets.
TOPHASH_MAP_TEMPLATE
template <class KK, class... Args>
std::pair<V*, bool> TOPHASH_MAP::assign(KK&& key, bool overwrite, Args&&... args) {
  check_not_writing("concurrent map writes");
  const std::uint64_t hash = hash_of(key);
  begin_write();  // after hashing, since hashing may throw: no write happened then
  WriteScope scope{this};

  if (buckets_ == nullptr) {
    buckets_ = Array::create(B_, alloc_);
    sync_lookup();
  }

  const std::uint8_t top = internal::top_hash(hash);
again:
  const std::size_t bucket = hash & bucket_mask(B_);
  if (growing()) grow_work(bucket);
  BucketT* b = buckets_->bucket(bucket);
  BucketT* insertb = nullptr;
  std::size_t inserti = 0;
  for (;;) {
    // A slot-by-slot scan up to the first emptyRest, eight slots at once:
    // the keys whose tophash matches are compared in slot order, and the
    // first empty slot (emptyOne or emptyRest) is remembered.
    prefetch_bucket(b);
    const internal::TophashGroup g = b->group();
    const std::uint32_t rest = g.match_empty_rest();
    for (std::uint32_t m = g.match(top) & internal::slots_before_first(rest); m != 0; m &= m - 1) {
      const std::size_t i = internal::first_slot(m);
      if (!keys_equal(key, b->key_ref(i))) continue;
      // Already present: update it.
      if (overwrite) {
        if constexpr (needs_key_update<K>::value) b->key_ref(i) = std::forward<KK>(key);
        if constexpr (sizeof...(Args) == 1) b->value_ref(i) = (std::forward<Args>(args), ...);
      }
      return {b->value(i), false};
    }
    if (insertb == nullptr) {
      if (const std::uint32_t empty = g.match_empty(); empty != 0) {
        insertb = b;
        inserti = internal::first_slot(empty);
      }
    }
    if (rest != 0 || b->overflow == nullptr) break;
    b = b->overflow;
  }
  if (!growing() && (over_load_factor(count_ + 1, B_) || too_many_overflow_buckets(noverflow_, B_))) {
    hash_grow();
    goto again;  // growing invalidates everything
  }
  if (insertb == nullptr) {
    // The chain is full: chain a new overflow bucket.
    insertb = new_overflow(b);
    inserti = 0;
  }
  ::new (static_cast<void*>(insertb->key(inserti))) K(std::forward<KK>(key));
  if constexpr (std::is_nothrow_constructible_v<V, Args&&...>) {
    ::new (static_cast<void*>(insertb->value(inserti))) V(std::forward<Args>(args)...);
  } else {
    try {
      ::new (static_cast<void*>(insertb->value(inserti))) V(std::forward<Args>(args)...);
    } catch (...) {
      insertb->key(inserti)->~K();
      throw;
    }
  }
  insertb->tophash[inserti] = top;
  ++count_;
  return {insertb->value(inserti), true};
}

// mapdelete.
TOPHASH_MAP_TEMPLATE
typename TOPHASH_MAP::size_type TOPHASH_MAP::erase(const K& key) noexcept(kNothrowLookup) {
  if (count_ == 0) return 0;  // no hash, no growth work: as Go
  check_not_writing("concurrent map writes");
  const std::uint64_t hash = hash_of(key);
  begin_write();
  WriteScope scope{this};

  const std::size_t bucket = hash & bucket_mask(B_);
  if (growing()) grow_work(bucket);
  BucketT* const orig = buckets_->bucket(bucket);
  const std::uint8_t top = internal::top_hash(hash);
  for (BucketT* b = orig; b != nullptr; b = b->overflow) {
    // The slots matching top before the first emptyRest, in order.
    prefetch_bucket(b);
    const internal::TophashGroup g = b->group();
    const std::uint32_t rest = g.match_empty_rest();
    for (std::uint32_t m = g.match(top) & internal::slots_before_first(rest); m != 0; m &= m - 1) {
      std::size_t i = internal::first_slot(m);
      if (!keys_equal(key, b->key_ref(i))) continue;
      // Destroy the entry now: its resources are released at once.
      b->destroy_slot(i);
      b->tophash[i] = internal::kEmptyOne;
      // mapdelete: if the chain now ends in a run of emptyOne, the run
      // becomes emptyRest, walking back across overflow buckets.
      const bool last = (i == kCnt - 1)
                            ? (b->overflow == nullptr || b->overflow->tophash[0] == internal::kEmptyRest)
                            : (b->tophash[i + 1] == internal::kEmptyRest);
      if (last) {
        for (;;) {
          b->tophash[i] = internal::kEmptyRest;
          if (i == 0) {
            if (b == orig) break;
            BucketT* c = b;
            for (b = orig; b->overflow != c; b = b->overflow) {
            }
            i = kCnt - 1;
          } else {
            --i;
          }
          if (b->tophash[i] != internal::kEmptyOne) break;
        }
      }
      --count_;
      if (count_ == 0) hash0_ = rand64();  // reseed, as Go does (issue 25237)
      return 1;
    }
    if (rest != 0) return 0;
  }
  return 0;
}

TOPHASH_MAP_TEMPLATE
template <class Pred>
typename TOPHASH_MAP::size_type TOPHASH_MAP::erase_if(Pred pred) {
  if (count_ == 0) return 0;
  check_not_writing("concurrent map writes");
  begin_write();
  WriteScope scope{this};
  finish_growth();
  size_type erased = 0;
  const std::size_t n = bucket_shift(B_);
  for (std::size_t bi = 0; bi < n; ++bi) {
    BucketT* const orig = buckets_->bucket(bi);
    bool any = false;
    try {
      for (BucketT* b = orig; b != nullptr; b = b->overflow) {
        for (std::size_t i = 0; i < kCnt; ++i) {
          if (!internal::is_filled(b->tophash[i])) continue;
          if (!pred(static_cast<const K&>(b->key_ref(i)), b->value_ref(i))) continue;
          b->destroy_slot(i);
          b->tophash[i] = internal::kEmptyOne;
          --count_;
          ++erased;
          any = true;
        }
      }
    } catch (...) {
      // The predicate threw: what it chose so far stays erased, and the
      // chain is left as a sequence of mapdelete calls would leave it.
      if (any) settle_tombstones(orig);
      if (erased != 0 && count_ == 0) hash0_ = rand64();
      throw;
    }
    if (any) settle_tombstones(orig);
  }
  if (erased != 0 && count_ == 0) hash0_ = rand64();
  return erased;
}

// The trailing run of empty slots of a chain becomes emptyRest, exactly
// what a sequence of mapdelete calls leaves behind.
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::settle_tombstones(BucketT* head) noexcept {
  BucketT* last_filled = nullptr;
  std::size_t last_i = 0;
  for (BucketT* b = head; b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < kCnt; ++i) {
      if (!internal::is_empty(b->tophash[i])) {
        last_filled = b;
        last_i = i;
      }
    }
  }
  bool after = last_filled == nullptr;
  for (BucketT* b = head; b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < kCnt; ++i) {
      if (after) {
        b->tophash[i] = internal::kEmptyRest;
      } else if (b == last_filled && i == last_i) {
        after = true;
      }
    }
  }
}

// mapclear: nothing on an empty map; otherwise keep B, reset the current
// array in place, abandon any growth, reseed.
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::clear() noexcept {
  if (count_ == 0) return;
  check_not_writing("concurrent map writes");
  begin_write();
  WriteScope scope{this};
  clear_flags(kSameSizeGrow);
  Array::release(oldbuckets_);
  oldbuckets_ = nullptr;
  nevacuate_ = 0;
  noverflow_ = 0;
  count_ = 0;
  hash0_ = rand64();
  buckets_->clear_in_place();
}

// hashGrow: double when the next key would exceed the load factor, else
// (too many overflow buckets) grow to the same size.
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::hash_grow() {
  const std::uint8_t bigger = over_load_factor(count_ + 1, B_) ? 1 : 0;
  Array* fresh = Array::create(static_cast<std::uint8_t>(B_ + bigger), alloc_);  // may throw: nothing changed yet
  if (bigger == 0) set_flags(kSameSizeGrow);
  // An iterator on the current array is now an iterator on the old one.
  std::uint8_t f = flags();
  clear_flags(kIterator | kOldIterator);
  if ((f & kIterator) != 0) set_flags(kOldIterator);
  B_ = static_cast<std::uint8_t>(B_ + bigger);
  oldbuckets_ = buckets_;
  buckets_ = fresh;
  sync_lookup();
  nevacuate_ = 0;
  noverflow_ = 0;
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::grow_work(std::size_t bucket) {
  // The old bucket the write is about to use, then one more for progress.
  evacuate(bucket & oldbucket_mask());
  if (growing()) evacuate(nevacuate_);
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::relocate(BucketT* from, std::size_t i, BucketT* to, std::size_t j) {
  // With an iterator open, the old slot must keep a key it can look up
  // (and, for NaN keys, the value it returns from there): copy. Otherwise
  // move; the moved-from objects stay until the old array is released.
  // A copy that throws leaves the destination slot without objects.
  K& k = from->key_ref(i);
  V& v = from->value_ref(i);
  if (live_iters_ != 0) {
    ::new (static_cast<void*>(to->key(j))) K(static_cast<const K&>(k));
    if constexpr (!is_reflexive_key<K>::value) {
      if (key_is_nan(k)) {
        try {
          ::new (static_cast<void*>(to->value(j))) V(static_cast<const V&>(v));
        } catch (...) {
          to->key(j)->~K();
          throw;
        }
        return;
      }
    }
  } else {
    ::new (static_cast<void*>(to->key(j))) K(std::move(k));
  }
  ::new (static_cast<void*>(to->value(j))) V(std::move(v));
}

// Undoes a relocate: the entry goes back into the slot it came from (which
// holds a moved-from leftover or the original the copy was made of).
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::move_back(BucketT* from, std::size_t i, BucketT* to, std::size_t j) noexcept {
  to->destroy_slot(j);
  ::new (static_cast<void*>(to->key(j))) K(std::move(from->key_ref(i)));
  ::new (static_cast<void*>(to->value(j))) V(std::move(from->value_ref(i)));
  from->destroy_slot(i);
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::evacuate(std::size_t oldbucket) {
  BucketT* const head = oldbuckets_->bucket(oldbucket);
  const std::size_t newbit = noldbuckets();
  if (!head->evacuated()) {
    struct Dst {
      BucketT* b = nullptr;
      std::size_t i = 0;
    } xy[2];
    xy[0].b = buckets_->bucket(oldbucket);
    const bool samesize = same_size_grow();
    if (!samesize) xy[1].b = buckets_->bucket(oldbucket + newbit);
    // Hashing, a key copy (an iterator is open) and a new overflow bucket
    // can throw: then the bucket is put back as it was (undo_evacuation).
    // A slot is marked evacuated only once its entry has moved.
    const auto overflow_mark = buckets_->overflow_mark();
    const std::size_t noverflow = noverflow_;
    BucketT* b = head;
    std::size_t i = 0;
    try {
      for (; b != nullptr; b = b->overflow) {
        if (!samesize) prefetch_key_bytes(b);
        for (i = 0; i < kCnt; ++i) {
          std::uint8_t top = b->tophash[i];
          if (internal::is_empty(top)) {
            b->tophash[i] = internal::kEvacuatedEmpty;
            continue;
          }
          if (top < internal::kMinTopHash) go_fatal("bad map state");
          std::uint8_t use_y = 0;
          if (!samesize) {
            const K& k = b->key_ref(i);
            const std::uint64_t hash = hash_of(k);
            if ((flags() & kIterator) != 0 && key_is_nan(k)) {
              // A NaN's hash is not repeatable, but an iterator's choice
              // must match ours: the low bit of the tophash decides, and a
              // fresh random tophash spreads NaNs on later growths.
              use_y = top & 1;
              top = internal::top_hash(hash);
            } else if ((hash & newbit) != 0) {
              use_y = 1;
            }
          }
          Dst& dst = xy[use_y];
          if (dst.i == kCnt) {
            dst.b = new_overflow(dst.b);
            dst.i = 0;
          }
          relocate(b, i, dst.b, dst.i);
          dst.b->tophash[dst.i] = top;
          ++dst.i;
          b->tophash[i] = static_cast<std::uint8_t>(internal::kEvacuatedX + use_y);
        }
      }
    } catch (...) {
      undo_evacuation(head, b, i, buckets_->bucket(oldbucket),
                      samesize ? nullptr : buckets_->bucket(oldbucket + newbit));
      buckets_->give_back_overflow(overflow_mark);
      noverflow_ = noverflow;
      throw;
    }
    // Go then unlinks the old bucket's overflow chain (clearing its keys
    // and values for the garbage collector) when the bucket type holds
    // pointers and no iterator may walk the old array. Only the link shows
    // in a layout; the leftovers stay until the array is released.
    if constexpr (kBucketHoldsPointers) {
      if ((flags() & kOldIterator) == 0) head->overflow = nullptr;
    }
  }
  if (oldbucket == nevacuate_) advance_evacuation_mark(newbit);
}

// A failed evacuation: the old chain's slots up to (not including) slot
// stop_i of bucket `stop` are put back, in order, from the destination
// chains x and y (filled in the same order), with their tophash (a NaN's,
// which evacuation redrew, keeps the low bit it was sent by: all an
// iterator reads of it); empty slots become emptyOne/emptyRest again. The
// destinations were untouched before (every write evacuates first) and are
// left so: emptied here, their new overflow buckets given back by the caller.
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::undo_evacuation(BucketT* head, const BucketT* stop, std::size_t stop_i, BucketT* x,
                                  BucketT* y) noexcept {
  struct Cursor {
    BucketT* b;
    std::size_t i;
  } cur[2] = {{x, 0}, {y, 0}};
  const bool nan_redrawn = !is_reflexive_key<K>::value && y != nullptr && (flags() & kIterator) != 0;
  for (BucketT* b = head; b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < kCnt; ++i) {
      if (b == stop && i == stop_i) goto done;
      const std::uint8_t t = b->tophash[i];
      if (t == internal::kEvacuatedEmpty) {
        b->tophash[i] = internal::kEmptyOne;
        continue;
      }
      const std::size_t side = t - internal::kEvacuatedX;
      Cursor& c = cur[side];
      if (c.i == kCnt) {
        c.b = c.b->overflow;
        c.i = 0;
      }
      move_back(c.b, c.i, b, i);
      std::uint8_t top = c.b->tophash[c.i++];
      if (nan_redrawn && key_is_nan(b->key_ref(i))) {
        top = static_cast<std::uint8_t>((top & ~1u) | side);
        if (top < internal::kMinTopHash) top = static_cast<std::uint8_t>(top + 2);
      }
      b->tophash[i] = top;
    }
  }
done:
  settle_tombstones(head);
  if (x != nullptr) x->reset();
  if (y != nullptr) y->reset();
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::advance_evacuation_mark(std::size_t newbit) noexcept {
  ++nevacuate_;
  // Go bounds the scan (kMaxEvacuationScan buckets) to keep a write O(1).
  const std::size_t stop = std::min(nevacuate_ + internal::kMaxEvacuationScan, newbit);
  while (nevacuate_ != stop && oldbuckets_->bucket(nevacuate_)->evacuated()) ++nevacuate_;
  if (nevacuate_ == newbit) {
    // Growth done: release the old array (iterators may still hold it).
    Array::release(oldbuckets_);
    oldbuckets_ = nullptr;
    clear_flags(kSameSizeGrow);
  }
}

// newoverflow: chain an overflow bucket after b; count it (exactly below
// B = 16, with probability 2^-(B-15) above, as Go does).
TOPHASH_MAP_TEMPLATE
typename TOPHASH_MAP::BucketT* TOPHASH_MAP::new_overflow(BucketT* b) {
  BucketT* ovf = buckets_->take_overflow();
  if (B_ < 16) {
    ++noverflow_;
  } else {
    const std::uint32_t mask = (std::uint32_t{1} << (B_ - 15)) - 1;
    if ((static_cast<std::uint32_t>(rand64()) & mask) == 0) ++noverflow_;
  }
  b->overflow = ovf;
  return ovf;
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::finish_growth() {
  while (growing()) evacuate(nevacuate_);
}

TOPHASH_MAP_TEMPLATE
typename TOPHASH_MAP::BucketT* TOPHASH_MAP::place(Array* dst, std::uint8_t b, std::uint64_t hash,
                                                  std::size_t& slot) {
  BucketT* c = dst->bucket(hash & bucket_mask(b));
  for (;;) {
    for (std::size_t i = 0; i < kCnt; ++i) {
      if (internal::is_empty(c->tophash[i])) {
        slot = i;
        return c;
      }
    }
    if (c->overflow == nullptr) break;
    c = c->overflow;
  }
  c->overflow = dst->take_overflow();
  ++noverflow_;
  slot = 0;
  return c->overflow;
}

// Moves every entry into a fresh array of 2^newB buckets. The old array
// is left as an evacuated generation (evacuatedX / evacuatedEmpty marks,
// leftovers in place), so an iterator still walking it looks its keys up
// in the live map, as after a growth. All or nothing: the old array is
// marked only once every entry is in the fresh one (rebuild_into).
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::rebuild(std::uint8_t newB) {
  check_not_writing("concurrent map writes");
  begin_write();
  WriteScope scope{this};
  if (buckets_ != nullptr) finish_growth();
  Array* fresh = Array::create(newB, alloc_);
  if (buckets_ != nullptr) {
    const std::size_t noverflow = noverflow_;
    try {
      rebuild_into(fresh, newB);
    } catch (...) {
      fresh->forget_slots();
      Array::release(fresh);
      noverflow_ = noverflow;
      throw;
    }
    const std::size_t n = buckets_->len();
    for (std::size_t bi = 0; bi < n; ++bi) {
      for (BucketT* b = buckets_->bucket(bi); b != nullptr; b = b->overflow) {
        for (std::size_t i = 0; i < kCnt; ++i) {
          b->tophash[i] = internal::is_filled(b->tophash[i]) ? internal::kEvacuatedX : internal::kEvacuatedEmpty;
        }
      }
    }
    std::uint8_t f = flags();
    clear_flags(kIterator | kOldIterator);
    if ((f & kIterator) != 0) set_flags(kOldIterator);
    Array::release(buckets_);
  } else {
    noverflow_ = 0;
  }
  ++rebuilds_;
  buckets_ = fresh;
  B_ = newB;
  sync_lookup();
  nevacuate_ = 0;
}

// rebuild's work, in two passes over the entries in bucket order: first
// every slot of `fresh` is claimed (hashing and overflow buckets can
// throw), then every entry relocated (a key copy can throw while an
// iterator is open; the entries relocated so far then move back). On a
// throw the caller forgets the claimed slots and frees `fresh`.
TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::rebuild_into(Array* fresh, std::uint8_t newB) {
  struct Claim {
    BucketT* b;
    std::size_t i;
  };
  using ClaimAlloc = typename std::allocator_traits<Allocator>::template rebind_alloc<Claim>;
  std::vector<Claim, ClaimAlloc> claims{ClaimAlloc(alloc_)};
  claims.reserve(count_);
  auto each_entry = [this](auto&& f) {
    const std::size_t n = buckets_->len();
    for (std::size_t bi = 0; bi < n; ++bi) {
      for (BucketT* b = buckets_->bucket(bi); b != nullptr; b = b->overflow) {
        for (std::size_t i = 0; i < kCnt; ++i) {
          if (internal::is_filled(b->tophash[i])) f(b, i);
        }
      }
    }
  };
  noverflow_ = 0;
  each_entry([&](BucketT* b, std::size_t i) {
    std::uint8_t top = b->tophash[i];
    const std::uint64_t hash = hash_of(b->key_ref(i));
    if (key_is_nan(b->key_ref(i))) top = internal::top_hash(hash);
    std::size_t slot = 0;
    BucketT* to = place(fresh, newB, hash, slot);
    to->tophash[slot] = top;
    claims.push_back({to, slot});
  });
  std::size_t moved = 0;
  try {
    each_entry([&](BucketT* b, std::size_t i) {
      relocate(b, i, claims[moved].b, claims[moved].i);
      ++moved;
    });
  } catch (...) {
    std::size_t back = 0;
    each_entry([&](BucketT* b, std::size_t i) {
      if (back < moved) move_back(claims[back].b, claims[back].i, b, i);
      ++back;
    });
    throw;
  }
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::reserve(size_type n) {
  std::uint8_t b = B_;
  while (over_load_factor(n, b)) ++b;
  if (b == B_) return;
  rebuild(b);
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::shrink_to_fit() {
  std::uint8_t b = 0;
  while (over_load_factor(count_, b)) ++b;
  if (count_ == 0) {
    check_not_writing("concurrent map writes");
    begin_write();
    WriteScope scope{this};
    ++rebuilds_;
    Array::release(oldbuckets_);
    Array::release(buckets_);
    oldbuckets_ = buckets_ = nullptr;
    B_ = 0;
    sync_lookup();
    noverflow_ = nevacuate_ = 0;
    clear_flags(kSameSizeGrow);
    return;
  }
  rebuild(b);
}

TOPHASH_MAP_TEMPLATE
void TOPHASH_MAP::steal(BucketMap& other) noexcept {
  count_ = other.count_;
  flags_.store(other.flags(), std::memory_order_relaxed);
  B_ = other.B_;
  noverflow_ = other.noverflow_;
  hash0_ = other.hash0_;
  buckets_ = other.buckets_;
  oldbuckets_ = other.oldbuckets_;
  nevacuate_ = other.nevacuate_;
  other.count_ = 0;
  other.flags_.store(0, std::memory_order_relaxed);
  other.B_ = 0;
  other.noverflow_ = other.nevacuate_ = 0;
  other.buckets_ = other.oldbuckets_ = nullptr;
  sync_lookup();
  other.sync_lookup();
}

// Visits every live entry once, in bucket order, without an iterator.
TOPHASH_MAP_TEMPLATE
template <class F>
void TOPHASH_MAP::for_each_entry(F&& f) const {
  auto* self = const_cast<BucketMap*>(this);
  auto walk = [&](Array* a, std::size_t bi) {
    for (BucketT* b = a->bucket(bi); b != nullptr; b = b->overflow) {
      for (std::size_t i = 0; i < kCnt; ++i) {
        if (internal::is_filled(b->tophash[i])) f(b->key_ref(i), b->value_ref(i));
      }
    }
  };
  if (self->buckets_ == nullptr) return;
  const std::size_t n = self->buckets_->len();
  for (std::size_t bi = 0; bi < n; ++bi) {
    if (self->oldbuckets_ != nullptr && !self->oldbuckets_->bucket(bi & self->oldbucket_mask())->evacuated()) {
      // Not evacuated: the old bucket holds this bucket's entries (and,
      // when doubling, its Y twin's too): walk it once, at its own index.
      if (bi < self->noldbuckets()) walk(self->oldbuckets_, bi);
      continue;
    }
    walk(self->buckets_, bi);
  }
}

#undef TOPHASH_MAP
#undef TOPHASH_MAP_TEMPLATE

}  // namespace tophash
