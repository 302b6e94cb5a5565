// tophash/internal/bucket_map_iter.h: BucketMap's iterators: Iter (Go's
// hiter, mapiterinit/mapiternext) and the STL-style iterator over it.
// Included by bucket_map.h.
#pragma once

#include <iterator>

namespace tophash {

// Go's hiter. Initialised by the constructor (mapiterinit, which fetches the
// first entry), advanced by next() (mapiternext). key()/value() refer to
// the current entry until the map is next written.
template <class K, class V, class Hash, class KeyEqual, class Allocator>
class BucketMap<K, V, Hash, KeyEqual, Allocator>::Iter {
  static constexpr std::size_t kNoCheck = ~std::size_t{0};

 public:
  Iter() noexcept = default;  // at its end
  Iter(BucketMap* h, IterStart start) noexcept : h_(h) {
    if (h->count_ == 0) return;  // an empty map: at the end for good
    B_ = h->B_;
    snapshot_ = h->buckets_;
    snapshot_->retain();
    rebuilds_ = h->rebuilds_;
    start_bucket_ = start.start & bucket_mask(B_);
    offset_ = static_cast<std::uint8_t>(start.offset & (kCnt - 1));
    bucket_ = start_bucket_;
    h->set_flags(kIterator | kOldIterator);
    ++h->live_iters_;
    walking_ = true;
    next();
  }
  // A cursor on one entry (find): yields it, then ends.
  Iter(K* key, V* value) noexcept : key_(key), elem_(value) {}

  Iter(const Iter& o) noexcept { copy_from(o); }
  Iter& operator=(const Iter& o) noexcept {
    if (this != &o) {
      finish();
      copy_from(o);
    }
    return *this;
  }
  Iter(Iter&& o) noexcept { take_from(o); }
  Iter& operator=(Iter&& o) noexcept {
    if (this != &o) {
      finish();
      take_from(o);
    }
    return *this;
  }
  ~Iter() { finish(); }

  bool done() const noexcept { return key_ == nullptr; }
  const K& key() const noexcept { return *key_; }
  V& value() const noexcept { return *elem_; }
  std::uint64_t start_bucket() const noexcept { return start_bucket_; }
  std::uint8_t offset() const noexcept { return offset_; }
  // Where it stands, read only (tophash/layout.h's iter_view): the bucket
  // it visits next (one past the current one, mod 2^B), the bucket of the
  // current chain it stands in (null when not walking), how many steps of
  // that bucket it has taken (step i visits slot (i + offset) mod 8), and
  // whether it has passed the last bucket and started again from 0.
  std::size_t next_bucket() const noexcept { return bucket_; }
  const void* current_bucket() const noexcept { return bptr_; }
  std::uint8_t bucket_steps() const noexcept { return i_; }
  bool wrapped() const noexcept { return wrapped_; }

  // mapiternext. Returns false at the end (and for good after that).
  bool next() noexcept {
    // Inline, the common step: the next occupied slot of the bucket the
    // iterator stands in holds a live entry and no check bucket filters
    // it. step() decides the same from the same state, and takes every
    // other case (an evacuated slot, a NaN, the end of the bucket).
    if (bptr_ != nullptr && check_bucket_ == kNoCheck && i_ < kCnt) {
      if ((h_->flags() & kHashWriting) != 0) go_fatal("concurrent map iteration and map write");
      const std::uint32_t visit = steps(bptr_->group().match_occupied(), i_);
      if (visit != 0) {
        const std::size_t i = internal::first_slot(visit);
        const std::size_t offi = (i + offset_) & (kCnt - 1);
        if (internal::is_filled(bptr_->tophash[offi]) && !h_->key_is_nan(bptr_->key_ref(offi))) {
          key_ = bptr_->key(offi);
          elem_ = bptr_->value(offi);
          i_ = static_cast<std::uint8_t>(i + 1);
          return true;
        }
      }
    }
    return step();
  }

 private:
  bool step() noexcept {
    if (!walking_) {
      key_ = nullptr;
      elem_ = nullptr;
      return false;
    }
    BucketMap* const h = h_;
    if ((h->flags() & kHashWriting) != 0) go_fatal("concurrent map iteration and map write");
    std::size_t bucket = bucket_;
    BucketT* b = bptr_;
    Array* owner = owner_;
    std::size_t i = i_;
    std::size_t check = check_bucket_;
    for (;;) {
      if (b == nullptr) {
        if (bucket == start_bucket_ && wrapped_) {
          finish();
          return false;
        }
        // (Go's test, with one guard: shrink_to_fit and reserve can change B
        // both ways, so after one of them an equal B no longer means this
        // growth's arrays are the iterator's; it then keeps to its snapshot,
        // whose every slot is evacuated and looked up in the live map.)
        if (h->growing() && B_ == h->B_ && rebuilds_ == h->rebuilds_) {
          // Started mid-growth and the growth is not done: a bucket whose
          // old bucket is not evacuated yet is walked there, keeping only
          // the keys bound for this bucket.
          const std::size_t oldbucket = bucket & h->oldbucket_mask();
          b = h->oldbuckets_->bucket(oldbucket);
          owner = h->oldbuckets_;
          if (!b->evacuated()) {
            check = bucket;
          } else {
            b = snapshot_->bucket(bucket);
            owner = snapshot_;
            check = kNoCheck;
          }
        } else {
          b = snapshot_->bucket(bucket);
          owner = snapshot_;
          check = kNoCheck;
        }
        if (++bucket == bucket_shift(B_)) {
          bucket = 0;
          wrapped_ = true;
        }
        i = 0;
      }
      std::uint32_t visit = i < kCnt ? steps(b->group().match_occupied(), i) : 0;
      for (; visit != 0; visit &= visit - 1) {
        i = internal::first_slot(visit);
        const std::size_t offi = (i + offset_) & (kCnt - 1);
        const std::uint8_t t = b->tophash[offi];
        K& k = b->key_ref(offi);
        const bool nan = h->key_is_nan(k);
        if (check != kNoCheck && !h->same_size_grow()) {
          if (!nan) {
            if ((h->hash_(k, h->hash0_) & bucket_mask(B_)) != check) continue;
          } else if ((check >> (B_ - 1)) != static_cast<std::size_t>(t & 1)) {
            // NaNs go by the low bit of their tophash, as evacuation sends them.
            continue;
          }
        }
        if (!internal::is_evacuated_slot(t) || nan) {
          // The golden data, or a NaN, which cannot have been updated or
          // deleted since (it cannot be looked up).
          key_ = &k;
          elem_ = b->value(offi);
        } else {
          // Moved since the iterator started: the live entry is elsewhere,
          // possibly updated, deleted or deleted and re-added.
          if (h->count_ == 0) continue;
          auto [rb, ri] = h->find_slot(k);
          if (rb == nullptr) continue;
          key_ = rb->key(ri);
          elem_ = rb->value(ri);
        }
        bucket_ = bucket;
        if (owner != owner_) {
          owner->retain();
          Array::release(owner_);
          owner_ = owner;
        }
        bptr_ = b;
        i_ = static_cast<std::uint8_t>(i + 1);
        check_bucket_ = check;
        return true;
      }
      b = b->overflow;
      i = 0;
    }
  }

  friend struct debug::BucketMapAccess;

  // Step i visits slot (i + offset) mod 8. The slot mask rotated so that
  // bit i stands for step i, minus the steps before `from`: the same slots
  // in the same order as testing each slot in turn.
  std::uint32_t steps(std::uint32_t slots, std::size_t from) const noexcept {
    const std::uint32_t rotated = ((slots >> offset_) | (slots << (kCnt - offset_))) & 0xffu;
    return rotated & (0xffu << from);
  }

  // Inline, so that an iterator known not to walk (find's cursor) ends
  // in two stores; the release of a walking one stays out of line.
  void finish() noexcept {
    if (walking_) stop_walking();
    key_ = nullptr;
    elem_ = nullptr;
  }
  [[gnu::noinline, gnu::cold]] void stop_walking() noexcept {
    --h_->live_iters_;
    Array::release(snapshot_);
    Array::release(owner_);
    snapshot_ = owner_ = nullptr;
    bptr_ = nullptr;
    walking_ = false;
  }
  void copy_from(const Iter& o) noexcept {
    h_ = o.h_;
    snapshot_ = o.snapshot_;
    owner_ = o.owner_;
    bptr_ = o.bptr_;
    key_ = o.key_;
    elem_ = o.elem_;
    start_bucket_ = o.start_bucket_;
    bucket_ = o.bucket_;
    check_bucket_ = o.check_bucket_;
    offset_ = o.offset_;
    B_ = o.B_;
    rebuilds_ = o.rebuilds_;
    i_ = o.i_;
    wrapped_ = o.wrapped_;
    walking_ = o.walking_;
    if (walking_) {
      ++h_->live_iters_;
      if (snapshot_) snapshot_->retain();
      if (owner_) owner_->retain();
    }
  }
  void take_from(Iter& o) noexcept {
    copy_from(o);
    o.finish();
  }

  BucketMap* h_ = nullptr;
  Array* snapshot_ = nullptr;  // it.buckets: the array at initialisation (held)
  Array* owner_ = nullptr;     // the array bptr_ lies in (held)
  BucketT* bptr_ = nullptr;
  K* key_ = nullptr;
  V* elem_ = nullptr;
  std::size_t start_bucket_ = 0;
  std::size_t bucket_ = 0;
  std::size_t check_bucket_ = kNoCheck;
  std::uint8_t offset_ = 0;
  std::uint32_t rebuilds_ = 0;  // the map's rebuild count at initialisation
  std::uint8_t B_ = 0;
  std::uint8_t i_ = 0;
  bool wrapped_ = false;
  bool walking_ = false;
};

// STL-style iterator: a Go iterator under the hood, so it stays valid while
// the map is written (see bucket_map.h). Dereferencing gives references to
// the current entry, valid until the next write.
template <class K, class V, class Hash, class KeyEqual, class Allocator>
template <bool Const>
class BucketMap<K, V, Hash, KeyEqual, Allocator>::basic_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = std::pair<const K, V>;
  using difference_type = std::ptrdiff_t;
  using reference = std::pair<const K&, std::conditional_t<Const, const V&, V&>>;
  struct pointer {
    reference ref;
    const reference* operator->() const noexcept { return &ref; }
  };

  basic_iterator() noexcept = default;
  explicit basic_iterator(Iter it) noexcept : it_(std::move(it)) {}
  // find's cursor on one entry, built in place.
  basic_iterator(K* key, V* value) noexcept : it_(key, value) {}
  template <bool C = Const, class = std::enable_if_t<C>>
  basic_iterator(const basic_iterator<false>& o) noexcept : it_(o.it_) {}  // NOLINT: iterator -> const_iterator

  reference operator*() const noexcept { return reference(it_.key(), it_.value()); }
  pointer operator->() const noexcept { return pointer{**this}; }
  basic_iterator& operator++() noexcept {
    it_.next();
    return *this;
  }
  void operator++(int) noexcept { ++*this; }
  friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept {
    if (a.it_.done() || b.it_.done()) return a.it_.done() == b.it_.done();
    return &a.it_.key() == &b.it_.key();
  }

 private:
  template <bool>
  friend class basic_iterator;
  Iter it_;
};

}  // namespace tophash
