// tophash/bucket_map.h: BucketMap, a hash map with the Go 1.19 runtime
// map's exact behaviour.
//
// The layout. A map is an array of 2^B buckets. A bucket has eight slots;
// each slot has a tophash byte, a key and a value (keys together, then
// values together, as in Go). The low B bits of a key's hash pick its
// bucket; the top byte of the hash, moved up past the five marks below, is
// the slot's tophash, so most slots are rejected without comparing keys.
// More than eight keys in a bucket spill into overflow buckets chained from
// it. With B >= 4 some overflow buckets are allocated together with the
// array and are used first. An array of 2 MiB or more under the default
// allocator starts on a huge-page boundary and asks the kernel for
// transparent huge pages, as Go's heap does for its arenas (a lookup in a
// big map then rarely misses the TLB); any other allocator is called
// exactly as given.
//
// Tombstones. Deleting a key marks its slot emptyOne. When that leaves the
// chain ending in a run of empty slots, the whole run becomes emptyRest,
// walking back across overflow buckets, so lookups stop at the first
// emptyRest. A put takes the first empty slot of the chain (emptyOne or
// emptyRest) unless the key is already present.
//
// Growth. A put that adds a key to a map holding more than 6.5 keys per
// bucket doubles the array; a put that finds as many overflow buckets as
// buckets (2^min(B,15)) grows to an array of the same size, which packs
// churned chains tight again. Growth is incremental: each later put or
// delete first evacuates the old bucket its key maps to, then the bucket
// at the evacuation mark (nevacuate). When doubling, an old bucket's keys
// split between new buckets i (X) and i + 2^(B-1) (Y) by one hash bit; the
// old slots keep evacuatedX/evacuatedY marks. The old chain stays linked,
// except (as in Go) for key or value types that hold pointers when no
// iterator may walk the old array: then the head keeps only its marks.
// Lookups consult the old bucket while it is not evacuated.
//
// Iteration. An iterator picks a random start bucket and a random slot
// offset, snapshots B and the bucket array, and walks bucket by bucket,
// each chain in order, each bucket from the offset round. It keeps Go's
// contract across any put, delete, clear or growth made while it is open:
// a key present from start to end is yielded exactly once, a key deleted
// before it is reached is not yielded, a key added meanwhile may or may not
// be. It does so as Go does: a slot whose tophash says its entry moved is
// looked up again in the live map, using the key left behind in the old
// slot; while the map is growing and the iterator's B is the map's B, a
// bucket not yet evacuated is walked in the old array, keeping only the
// keys bound for the bucket being visited.
//
// What "left behind" means in C++. Go copies bits and leaves the key in the
// old slot. Here evacuation moves keys and values when no iterator is open
// on the map, and copies the key (and, for keys that can be unequal to
// themselves, the value) when one is, because that iterator may have to
// look the key up later. Either way the old slot keeps a live object (a
// copy or a moved-from leftover), destroyed when the old array is
// released: when growth completes and no iterator holds the array any
// more. Keys must therefore be copy constructible; values need not be,
// except with floating-point keys. Deleting an entry destroys its key and
// value at once; a copy left in an old array by evacuation lives as long
// as that array.
//
// Lifetime. Bucket arrays are reference counted: the map holds the current
// and the old array, and each open iterator holds the array it snapshot
// and the one it stands in. So an iterator stays valid, with no dangling
// read, across any writes. An iterator must not outlive its map, and
// moving, swapping, assigning or destroying the map ends its iterators:
// such an iterator may only be destroyed (its map object still alive: it
// gives its count of live iterators back to the object it was made on),
// never stepped. Copying a map only reads it: the source's iterators go
// on; the copy has none. erase_if is a write like any other for an open
// iterator (it finishes a growth first, then deletes in place), except
// that a NaN it erases may still come out of an older array the iterator
// walks, as after clear. A moved-from map is empty (no bucket array, B 0)
// and usable. The harness holds the iterators to this contract
// (trace/trace-format.md, "Several maps").
//
// Go's known exception (golang/go#59411). clear() abandons a growth in
// progress and empties the current array in place. An iterator opened
// before the clear on an older array still walks that array, and entries
// there that were never evacuated are yielded although the clear removed
// them from the map. That follows from the structure and is reproduced.
// Go can also yield cleared entries from overflow buckets the clear
// dropped; here the clear destroys those entries, so they are not.
//
// Floating-point keys, as in Go: NaN != NaN, so every put of NaN adds an
// entry that get and delete never find (clear and erase_if remove it); a
// NaN's hash is random; once an iterator has been started, evacuation
// sends NaNs by the low bit of their tophash and gives them a fresh random
// tophash, and iteration filters them the same way. Putting -0 over +0
// updates the stored key.
//
// Misuse. A write overlapping another write, or a read or iterator step
// overlapping a write, from another thread, aborts with Go's message
// ("concurrent map writes", "concurrent map read and map write",
// "concurrent map iteration and map write"). Like Go's, the check is best
// effort; the flag it uses is atomic, so the check itself does not race.
// Beyond Go's contract (C++ has lifetimes Go's collector hides): in debug
// builds (TOPHASH_DEBUG_ITERATORS, on unless NDEBUG is defined) an
// iterator stepped, dereferenced or copied after its map object was
// destroyed, moved from, swapped or assigned to aborts with
// "tophash: iterator used after its BucketMap was destroyed" (or "was
// moved from", "was swapped", "was assigned to"), and one destroyed after
// its map object with "tophash: iterator kept past its BucketMap's
// destruction": the map and its walking iterators share a small reference
// counted token, so the iterator asks it, not the map, which may be gone.
// Without the check (release builds) ASan reports such a use as a
// heap-use-after-free where it reads freed memory, and not at all where it
// does not; the map's and its iterators' layout then have no trace of it.
// A find() cursor holds no token: it is a pointer into the buckets, as an
// entry reference is.
//
// Exception safety. Go's map never sees a failed allocation or a throwing
// key; this one does (the allocator, and the Hash, KeyEqual, key and value
// types, may throw; moves and destructors may not, which the static
// asserts below enforce). What each operation promises when something it
// calls throws, every row tested in tests/faults_test.cc and fuzzed by the
// "faults" target:
//
//   insert_or_assign, try_emplace, insert, operator[] (a new key): all or
//     nothing. The entries are what they were; the map may keep work that
//     changes no entry (a growth begun, buckets evacuated, an empty
//     overflow bucket chained). Over an existing key: the value is what
//     V's assignment leaves (all or nothing when V's is).
//   erase(key): noexcept when Hash and KeyEqual are; else all or nothing.
//   erase_if(pred): the entries pred chose before it threw are erased,
//     the others kept; the map is consistent.
//   clear(), swap, move construction and assignment: noexcept.
//   reserve, shrink_to_fit: all or nothing (entries and layout).
//   copy construction: nothing allocated is kept; copy assignment: the
//     target is unchanged (it copies, then swaps).
//   get, find, contains, count, at: noexcept when Hash and KeyEqual are;
//     else they throw what those throw and change nothing.
//   iteration (iterate, begin, next, ++): noexcept. It calls Hash and
//     KeyEqual while the map grows, so a throw there terminates.
// After any of these throws the map passes every structural invariant,
// open iterators stay valid and keep Go's contract, and nothing leaks.
// How: a growth evacuates an old bucket into its new buckets and marks a
// slot evacuated only once its entry has moved; if hashing, a key copy or
// an overflow bucket fails part way, the entries move back and the
// overflow buckets taken are given back (undo_evacuation). A rebuild
// claims every slot of the new array before it moves anything, and moves
// back what it moved if a copy fails.
//
// Randomness. Each map has its own random source: the hash seed, the
// reseed after a clear or a delete that empties the map, iterator start
// positions, NaN hashes and (from B = 16) Go's approximate overflow count
// all come from it. Seeded by default from a per-thread stream that
// std::random_device seeds once (as cheap as Go's fastrand); pass a seed
// to make every one of those choices reproducible.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "tophash/hash.h"
#include "tophash/internal/bucket.h"

namespace tophash {

namespace debug {
struct BucketMapAccess;
}

// Where an iterator starts: bucket `start & (2^B-1)`, slot offset `offset & 7`
// (B taken when the iterator is initialised). Go draws r and uses
// r & (2^B-1) and (r >> B) & 7.
struct IterStart {
  std::uint64_t start = 0;
  std::uint64_t offset = 0;
};

[[noreturn]] inline void go_fatal(const char* msg) noexcept {
  std::fprintf(stderr, "fatal error: %s\n", msg);
  std::fflush(stderr);
  std::abort();
}

// Debug builds check iterator misuse beyond Go's contract: an iterator
// stepped, dereferenced or copied after its map object was destroyed,
// moved from, swapped or assigned to aborts with a message that names the
// misuse ("tophash: iterator used after its BucketMap was destroyed").
// On by default without NDEBUG; define TOPHASH_DEBUG_ITERATORS to 1 or 0
// to choose (the same in every translation unit of a program: it changes
// BucketMap's and its iterators' layout). Off, it costs nothing: no
// member, no check.
#if !defined(TOPHASH_DEBUG_ITERATORS)
#if defined(NDEBUG)
#define TOPHASH_DEBUG_ITERATORS 0
#else
#define TOPHASH_DEBUG_ITERATORS 1
#endif
#endif

#if TOPHASH_DEBUG_ITERATORS
namespace internal {
// What ended a map object's iterators, as an iterator learns it.
enum class MapEnd : std::uint8_t { kLive, kDestroyed, kMovedFrom, kSwapped, kAssigned };

[[noreturn]] inline void iterator_misuse(const char* what) noexcept {
  std::fprintf(stderr, "tophash: iterator %s\n", what);
  std::fflush(stderr);
  std::abort();
}

// A map object's liveness token, shared (reference counted) with the
// iterators walking it, so an iterator can ask without touching the map,
// which may be gone. When a move, swap or assignment ends the object's
// iterators, the token records why and the object takes a fresh one,
// linked from the old: the last token of the chain says whether the object
// itself was destroyed (which an iterator's destructor must know: it gives
// its count back to a live object only).
struct Liveness {
  std::atomic<std::size_t> refs{1};
  std::atomic<MapEnd> end{MapEnd::kLive};
  Liveness* next = nullptr;  // the object's token after this one (held)

  static Liveness* make() noexcept {
    auto* t = new (std::nothrow) Liveness;
    if (t == nullptr) go_fatal("out of memory (tophash iterator debug check)");
    return t;
  }
  void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  static void release(Liveness* t) noexcept {
    while (t != nullptr && t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Liveness* next = t->next;
      delete t;
      t = next;
    }
  }
  bool object_destroyed() const noexcept {
    const Liveness* t = this;
    while (t->next != nullptr) t = t->next;
    return t->end.load(std::memory_order_relaxed) == MapEnd::kDestroyed;
  }
  // Aborts if the object's iterators were ended (an iterator holding this
  // token is being stepped, dereferenced or copied).
  void check() const noexcept {
    switch (end.load(std::memory_order_relaxed)) {
      case MapEnd::kLive: return;
      case MapEnd::kDestroyed: iterator_misuse("used after its BucketMap was destroyed");
      case MapEnd::kMovedFrom: iterator_misuse("used after its BucketMap was moved from");
      case MapEnd::kSwapped: iterator_misuse("used after its BucketMap was swapped");
      case MapEnd::kAssigned: iterator_misuse("used after its BucketMap was assigned to");
    }
  }
  // The object's iterators end (why); returns the object's token from now.
  Liveness* end_iterators(MapEnd why) noexcept {
    if (refs.load(std::memory_order_acquire) == 1) return this;  // no iterator holds it
    Liveness* fresh = make();
    fresh->retain();  // held by this token's link
    next = fresh;
    end.store(why, std::memory_order_relaxed);
    release(this);  // the object's hold
    return fresh;
  }
};

// A map object's hold on its token: made with the object, given back with
// it (also when a constructor throws), never shared between objects.
struct LivenessHold {
  Liveness* token = Liveness::make();
  LivenessHold() noexcept = default;
  LivenessHold(const LivenessHold&) noexcept {}
  LivenessHold& operator=(const LivenessHold&) = delete;
  ~LivenessHold() { Liveness::release(token); }
};
}  // namespace internal
#endif

// std::random_device may cost a system call, too much for every map made:
// it seeds a per-thread wyrand stream once.
inline std::uint64_t random_seed() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  state += 0xa0761d6478bd642full;
  return hashing::mum(state, state ^ 0xe7037ed1a0b428dbull);
}

template <class K, class V, class Hash = Hasher<K>, class KeyEqual = std::equal_to<K>,
          class Allocator = std::allocator<std::pair<const K, V>>>
class BucketMap {
  static_assert(std::is_copy_constructible_v<K>,
                "evacuation leaves a copy of the key in the old slot while an iterator may look it up");
  static_assert(is_reflexive_key<K>::value || std::is_copy_constructible_v<V>,
                "an iterator returns a NaN key's value from the old slot, so it is copied there");
  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "evacuation moves entries and cannot be undone half way");
  static_assert(std::is_nothrow_destructible_v<K> && std::is_nothrow_destructible_v<V>,
                "delete and clear destroy entries in place");

  using BucketT = internal::Bucket<K, V>;
  using Array = internal::BucketArray<K, V, Allocator>;
  static constexpr std::size_t kCnt = internal::kBucketCnt;
  // Go's t.bucket.ptrdata != 0: the bucket holds pointers the garbage
  // collector must see. Here: a key or value type that is not trivially
  // copyable (std::string, as Go's string), or one over 128 bytes, which Go
  // stores indirectly, a pointer in the bucket (maxKeySize, maxElemSize).
  static constexpr bool kBucketHoldsPointers = !std::is_trivially_copyable_v<K> || !std::is_trivially_copyable_v<V> ||
                                               sizeof(K) > 128 || sizeof(V) > 128;

  // hmap.flags
  static constexpr std::uint8_t kIterator = 1;      // an iterator may be using buckets
  static constexpr std::uint8_t kOldIterator = 2;   // an iterator may be using oldbuckets
  static constexpr std::uint8_t kHashWriting = 4;   // a write is in progress
  static constexpr std::uint8_t kSameSizeGrow = 8;  // the growth in progress keeps B

  // Whether hashing and comparing keys can throw: lookups and erase are
  // noexcept exactly when neither can (see "Exception safety" above).
  static constexpr bool kNothrowHash = std::is_nothrow_invocable_v<const Hash&, const K&, std::uint64_t>;
  // (std::equal_to is not declared noexcept; on scalars and strings it
  // cannot throw.)
  static constexpr bool kNothrowEq =
      std::is_nothrow_invocable_v<const KeyEqual&, const K&, const K&> ||
      (std::is_same_v<KeyEqual, std::equal_to<K>> && (std::is_scalar_v<K> || std::is_same_v<K, std::string>));
  static constexpr bool kNothrowLookup = kNothrowHash && kNothrowEq;

 public:
  using key_type = K;
  using mapped_type = V;
  using size_type = std::size_t;
  using hasher = Hash;
  using key_equal = KeyEqual;
  using allocator_type = Allocator;

  class Iter;
  template <bool Const>
  class basic_iterator;
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  BucketMap() : BucketMap(0, random_seed()) {}
  explicit BucketMap(size_type hint) : BucketMap(hint, random_seed()) {}
  // makemap: B is the smallest that holds `hint` keys without growing; the
  // array is allocated now unless B = 0.
  BucketMap(size_type hint, std::uint64_t seed, const Hash& hash = Hash(),
            const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : rng_(seed), hash_(hash), eq_(eq), alloc_(alloc) {
    hash0_ = rand64();
    std::uint8_t b = 0;
    while (over_load_factor(hint, b)) ++b;
    B_ = b;
    if (B_ != 0) buckets_ = Array::create(B_, alloc_);
    sync_lookup();
  }

  BucketMap(const BucketMap& other)
      : rng_(other.rng_), hash0_(other.hash0_), hash_(other.hash_), eq_(other.eq_),
        alloc_(std::allocator_traits<Allocator>::select_on_container_copy_construction(other.alloc_)) {
    B_ = other.B_;
    if (other.buckets_ != nullptr) buckets_ = Array::create(B_, alloc_);
    sync_lookup();
    try {
      other.for_each_entry([&](const K& k, const V& v) { insert_or_assign(k, v); });
    } catch (...) {
      // No destructor runs for a constructor that throws: release here.
      Array::release(buckets_);
      Array::release(oldbuckets_);
      throw;
    }
  }
  BucketMap(BucketMap&& other) noexcept
      : rng_(other.rng_), hash_(std::move(other.hash_)), eq_(std::move(other.eq_)),
        alloc_(std::move(other.alloc_)) {
    steal(other);
    other.debug_end_iterators(kEndMovedFrom);
  }
  BucketMap& operator=(BucketMap other) noexcept {
    exchange(other);
    debug_end_iterators(kEndAssigned);
    return *this;
  }
  ~BucketMap() {
    Array::release(buckets_);
    Array::release(oldbuckets_);
#if TOPHASH_DEBUG_ITERATORS
    liveness_.token->end.store(internal::MapEnd::kDestroyed, std::memory_order_relaxed);
#endif
  }

  void swap(BucketMap& other) noexcept {
    exchange(other);
    debug_end_iterators(kEndSwapped);
    other.debug_end_iterators(kEndSwapped);
  }
  friend void swap(BucketMap& a, BucketMap& b) noexcept { a.swap(b); }

 private:
  // The contents trade places; each object keeps its iterators (and its
  // count of them), which the caller ends.
  void exchange(BucketMap& other) noexcept {
    using std::swap;
    swap(count_, other.count_);
    std::uint8_t f = flags_.load(std::memory_order_relaxed);
    flags_.store(other.flags_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    other.flags_.store(f, std::memory_order_relaxed);
    swap(B_, other.B_);
    swap(noverflow_, other.noverflow_);
    swap(hash0_, other.hash0_);
    swap(buckets_, other.buckets_);
    swap(oldbuckets_, other.oldbuckets_);
    swap(nevacuate_, other.nevacuate_);
    swap(rng_, other.rng_);
    // live_iters_ stays: iterators count against the object they were made on.
    swap(hash_, other.hash_);
    swap(eq_, other.eq_);
    // Each bucket array keeps the allocator it came from and is freed
    // through it, so arrays may change maps whatever their allocators.
    if constexpr (std::allocator_traits<Allocator>::propagate_on_container_swap::value) swap(alloc_, other.alloc_);
    sync_lookup();
    other.sync_lookup();
  }

  // Moving, swapping and assigning end the object's iterators: with the
  // debug check, those still walking learn it (they abort if used).
#if TOPHASH_DEBUG_ITERATORS
  static constexpr internal::MapEnd kEndMovedFrom = internal::MapEnd::kMovedFrom;
  static constexpr internal::MapEnd kEndSwapped = internal::MapEnd::kSwapped;
  static constexpr internal::MapEnd kEndAssigned = internal::MapEnd::kAssigned;
  void debug_end_iterators(internal::MapEnd why) noexcept { liveness_.token = liveness_.token->end_iterators(why); }
#else
  static constexpr int kEndMovedFrom = 0, kEndSwapped = 0, kEndAssigned = 0;
  static void debug_end_iterators(int) noexcept {}
#endif

 public:
  // ---- size -------------------------------------------------------------
  size_type size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

  // ---- lookup (mapaccess) -----------------------------------------------
  V* get(const K& key) noexcept(kNothrowLookup) {
    auto [b, i] = access(key);
    return b == nullptr ? nullptr : b->value(i);
  }
  const V* get(const K& key) const noexcept(kNothrowLookup) { return const_cast<BucketMap*>(this)->get(key); }
  bool contains(const K& key) const noexcept(kNothrowLookup) { return get(key) != nullptr; }
  size_type count(const K& key) const noexcept(kNothrowLookup) { return contains(key) ? 1 : 0; }
  V& at(const K& key) {
    V* v = get(key);
    if (v == nullptr) throw std::out_of_range("tophash::BucketMap::at: key not found");
    return *v;
  }
  const V& at(const K& key) const { return const_cast<BucketMap*>(this)->at(key); }
  // A cursor built in place on the entry found: as cheap as get.
  [[gnu::always_inline]] iterator find(const K& key) noexcept(kNothrowLookup) {
    auto [b, i] = access(key);
    if (b == nullptr) return iterator();
    return iterator(b->key(i), b->value(i));
  }
  [[gnu::always_inline]] const_iterator find(const K& key) const noexcept(kNothrowLookup) {
    auto [b, i] = const_cast<BucketMap*>(this)->access(key);
    if (b == nullptr) return const_iterator();
    return const_iterator(b->key(i), b->value(i));
  }

  // ---- insert (mapassign) -----------------------------------------------
  // m[key] = value. Returns true when the key was added.
  template <class KK, class VV>
  std::pair<V*, bool> insert_or_assign(KK&& key, VV&& value) {
    return assign(std::forward<KK>(key), /*overwrite=*/true, std::forward<VV>(value));
  }
  template <class KK, class... Args>
  std::pair<V*, bool> try_emplace(KK&& key, Args&&... args) {
    return assign(std::forward<KK>(key), /*overwrite=*/false, std::forward<Args>(args)...);
  }
  std::pair<V*, bool> insert(const std::pair<K, V>& kv) { return try_emplace(kv.first, kv.second); }
  V& operator[](const K& key) { return *try_emplace(key).first; }

  // ---- delete (mapdelete) ------------------------------------------------
  size_type erase(const K& key) noexcept(kNothrowLookup);

  // Deletes every entry for which pred(key, value) is true, in one pass
  // (finishing any growth first). NaN keys can be deleted this way.
  template <class Pred>
  size_type erase_if(Pred pred);

  // mapclear.
  void clear() noexcept;

  // Grows (never shrinks) so that n keys fit without further growth.
  void reserve(size_type n);
  // Rebuilds into the smallest B that holds the current entries, dropping
  // tombstones and overflow buckets: what Go users do by hand, copying into
  // a new map, after mass deletion.
  void shrink_to_fit();

  // Bytes of bucket memory the map holds (current and old arrays, their
  // overflow buckets and bookkeeping).
  size_type allocated_bytes() const noexcept {
    return (buckets_ ? buckets_->bytes() : 0) + (oldbuckets_ ? oldbuckets_->bytes() : 0);
  }
  std::uint8_t bucket_log2() const noexcept { return B_; }

  // ---- iteration -----------------------------------------------------------
  // A Go iterator (hiter): starts at a random position, or at `start`.
  Iter iterate() noexcept {
    std::uint64_t r = rand64();
    return Iter(this, IterStart{r, r >> B_});
  }
  Iter iterate(IterStart start) noexcept { return Iter(this, start); }

  iterator begin() noexcept { return iterator(iterate()); }
  iterator end() noexcept { return iterator(); }
  const_iterator begin() const noexcept { return const_iterator(const_cast<BucketMap*>(this)->iterate()); }
  const_iterator end() const noexcept { return const_iterator(); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  const Hash& hash_function() const noexcept { return hash_; }
  const KeyEqual& key_eq() const noexcept { return eq_; }
  allocator_type get_allocator() const noexcept { return alloc_; }

  // The hash this map uses for `key` now (what the buckets are indexed by).
  // Random for a key unequal to itself: one draw r of the map's random
  // source, as Hash::unequal_key_hash(r, seed) makes it if Hash has that
  // member (hash.h), else hashing::hash_u64(r, seed).
  std::uint64_t hash_of(const K& key) noexcept(kNothrowLookup) {
    if constexpr (!is_reflexive_key<K>::value) {
      if (!eq_(key, key)) {
        const std::uint64_t r = rand64();
        if constexpr (requires(const Hash& h) { h.unequal_key_hash(r, r); }) return hash_.unequal_key_hash(r, hash0_);
        return hashing::hash_u64(r, hash0_);
      }
    }
    return hash_(key, hash0_);
  }

 private:
  friend struct debug::BucketMapAccess;

  // ---- small Go helpers -----------------------------------------------------
  static constexpr std::size_t bucket_shift(std::uint8_t b) noexcept { return std::size_t{1} << b; }
  static constexpr std::size_t bucket_mask(std::uint8_t b) noexcept { return bucket_shift(b) - 1; }
  // Go's growth thresholds (internal/bucket.h).
  static constexpr bool over_load_factor(std::size_t count, std::uint8_t b) noexcept {
    return internal::over_load_factor(count, b);
  }
  static constexpr bool too_many_overflow_buckets(std::size_t noverflow, std::uint8_t b) noexcept {
    return internal::too_many_overflow_buckets(noverflow, b);
  }

  std::uint64_t rand64() noexcept {  // wyrand
    rng_ += 0xa0761d6478bd642full;
    return hashing::mum(rng_, rng_ ^ 0xe7037ed1a0b428dbull);
  }
  std::uint8_t flags() const noexcept { return flags_.load(std::memory_order_relaxed); }
  void set_flags(std::uint8_t f) noexcept { flags_.fetch_or(f, std::memory_order_relaxed); }
  void clear_flags(std::uint8_t f) noexcept {
    flags_.fetch_and(static_cast<std::uint8_t>(~f), std::memory_order_relaxed);
  }
  bool growing() const noexcept { return oldbuckets_ != nullptr; }
  void sync_lookup() noexcept {
    bucket0_ = buckets_ != nullptr ? buckets_->bucket(0) : nullptr;
    mask_ = bucket_mask(B_);
  }
  bool same_size_grow() const noexcept { return (flags() & kSameSizeGrow) != 0; }
  std::size_t noldbuckets() const noexcept {
    return bucket_shift(same_size_grow() ? B_ : static_cast<std::uint8_t>(B_ - 1));
  }
  std::size_t oldbucket_mask() const noexcept { return noldbuckets() - 1; }
  // The key comparison of lookups and writes. With the default equality on
  // std::string keys, the bytes are compared as words (hashing::bytes_equal)
  // after the lengths, as Go's mapaccess1_faststr compares lengths first.
  bool keys_equal(const K& a, const K& b) const noexcept(kNothrowEq) {
    if constexpr (std::is_same_v<K, std::string> && std::is_same_v<KeyEqual, std::equal_to<K>>) {
      return a.size() == b.size() && hashing::bytes_equal(a.data(), b.data(), a.size());
    } else {
      return eq_(a, b);
    }
  }
  bool key_is_nan(const K& k) const noexcept(kNothrowEq) {
    if constexpr (is_reflexive_key<K>::value) {
      return false;
    } else {
      return !eq_(k, k);
    }
  }

  // hashWriting: checked, then the hash computed, then set (mapassign).
  // A load and a store, not a locked read-modify-write: Go's
  // `h.flags ^= hashWriting` is a plain one too, and a locked instruction
  // on every write would cost more than the rest of a small put.
  void check_not_writing(const char* msg) const noexcept {
    if ((flags() & kHashWriting) != 0) go_fatal(msg);
  }
  void begin_write() noexcept { flags_.store(flags() ^ kHashWriting, std::memory_order_relaxed); }
  void end_write() noexcept {
    const std::uint8_t f = flags();
    if ((f & kHashWriting) == 0) go_fatal("concurrent map writes");
    flags_.store(static_cast<std::uint8_t>(f & ~kHashWriting), std::memory_order_relaxed);
  }
  struct WriteScope {
    BucketMap* m;
    ~WriteScope() { m->end_write(); }
  };

  // Bucket a lookup must search: the current one, or its old bucket while
  // that is not evacuated.
  BucketT* lookup_bucket(std::uint64_t hash) noexcept {
    std::size_t m = mask_;
    BucketT* b = bucket0_ + (hash & m);
    if (oldbuckets_ != nullptr) {
      if (!same_size_grow()) m >>= 1;
      BucketT* oldb = oldbuckets_->bucket(hash & m);
      if (!oldb->evacuated()) b = oldb;
    }
    return b;
  }

  // Starts loading a whole bucket while its tophash word is examined: the
  // key and value a hit needs lie on other cache lines (a bucket of u64
  // keys and values spans three), so their misses overlap the first one
  // instead of following it. Of a larger bucket only the keys are loaded
  // ahead (as Go's string lookup reads every key's length), and the value
  // of a matching slot once it is known.
  // Buckets start 16-byte aligned (BucketArray aligns its block and its
  // buckets so, and bucket sizes are multiples of 16 for 8-byte keys and
  // values; overflow buckets come from operator new), so a bucket
  // whose last 16 bytes share a line with the last 64-byte step needs no
  // separate prefetch of its end.
  static constexpr bool kTailLine = (sizeof(BucketT) - 1) % 64 > 64 - 16;
  TOPHASH_SLOT_ADDRESS static void prefetch_bucket(const BucketT* b) noexcept {
    const char* p = reinterpret_cast<const char*>(b);
    if constexpr (sizeof(BucketT) <= 256) {
      for (std::size_t off = 64; off < sizeof(BucketT); off += 64) __builtin_prefetch(p + off);
      if constexpr (kTailLine) __builtin_prefetch(p + sizeof(BucketT) - 1);
    } else {
      const char* keys = reinterpret_cast<const char*>(b->key_storage);
      for (std::size_t off = 0; off < sizeof(b->key_storage); off += 64) __builtin_prefetch(keys + off);
      __builtin_prefetch(keys + sizeof(b->key_storage) - 1);
    }
  }
  static void prefetch_value(BucketT* b, std::size_t i) noexcept {
    if constexpr (sizeof(BucketT) > 256) __builtin_prefetch(b->value(i));
  }
  // Evacuation hashes every key of a bucket again. A std::string key's
  // bytes live elsewhere: asking for all of them first overlaps those
  // misses instead of taking them one after another.
  TOPHASH_SLOT_ADDRESS static void prefetch_key_bytes(const BucketT* b) noexcept {
    if constexpr (std::is_same_v<K, std::string>) {
      for (std::size_t i = 0; i < kCnt; ++i) {
        if (!internal::is_empty(b->tophash[i])) __builtin_prefetch(b->key_ref(i).data());
      }
    } else {
      (void)b;
    }
  }

  // mapaccessK without the misuse check: the live slot of `key`, in a
  // non-empty map. Inlined into get and find: a call would cost a lookup
  // that hits in cache a fifth of its time.
  [[gnu::always_inline]] std::pair<BucketT*, std::size_t> find_slot(const K& key) noexcept(kNothrowLookup) {
    std::uint64_t hash = hash_of(key);
    const std::uint8_t top = internal::top_hash(hash);
    for (BucketT* b = lookup_bucket(hash); b != nullptr; b = b->overflow) {
      prefetch_bucket(b);
      // The slots matching top, in order, then stop at an emptyRest: what
      // Go's slot-by-slot scan compares, since no filled slot follows an
      // emptyRest (the invariant mapdelete keeps and the harness checks
      // after every op), so the emptyRest mask is needed only on a miss.
      const internal::TophashGroup g = b->group();
      for (std::uint32_t m = g.match(top); m != 0; m &= m - 1) {
        const std::size_t i = internal::first_slot(m);
        prefetch_value(b, i);
        if (keys_equal(key, b->key_ref(i))) return {b, i};
      }
      if (g.match_empty_rest() != 0) break;
    }
    return {nullptr, 0};
  }
  [[gnu::always_inline]] std::pair<BucketT*, std::size_t> access(const K& key) noexcept(kNothrowLookup) {
    if (count_ == 0) return {nullptr, 0};
    check_not_writing("concurrent map read and map write");
    // A key unequal to itself is never found; answering without hashing
    // keeps reads free of side effects (no draw from the random source).
    if (key_is_nan(key)) return {nullptr, 0};
    return find_slot(key);
  }

  template <class KK, class... Args>
  std::pair<V*, bool> assign(KK&& key, bool overwrite, Args&&... args);

  void hash_grow();
  void grow_work(std::size_t bucket);
  void evacuate(std::size_t oldbucket);
  void undo_evacuation(BucketT* head, const BucketT* stop, std::size_t stop_i, BucketT* x, BucketT* y) noexcept;
  void move_back(BucketT* from, std::size_t i, BucketT* to, std::size_t j) noexcept;
  static void settle_tombstones(BucketT* head) noexcept;
  void advance_evacuation_mark(std::size_t newbit) noexcept;
  BucketT* new_overflow(BucketT* b);
  void finish_growth();
  void rebuild(std::uint8_t newB);
  void rebuild_into(Array* fresh, std::uint8_t newB);
  void steal(BucketMap& other) noexcept;
  template <class F>
  void for_each_entry(F&& f) const;
  // Puts an entry known to be absent into `dst` (an array being built):
  // first empty slot of its chain, else a new overflow bucket.
  BucketT* place(Array* dst, std::uint8_t b, std::uint64_t hash, std::size_t& slot);
  void relocate(BucketT* from, std::size_t i, BucketT* to, std::size_t j);

  std::size_t count_ = 0;
  std::atomic<std::uint8_t> flags_{0};
  std::uint8_t B_ = 0;
  std::size_t noverflow_ = 0;
  std::uint64_t rng_;
  std::uint64_t hash0_ = 0;
  Array* buckets_ = nullptr;     // null until the first put when B = 0
  // What a lookup reads first, derived from buckets_ and B_ and set with
  // them (sync_lookup): the current array's first bucket and Go's
  // bucketMask(B). Two loads fewer on every lookup than going through the
  // array's header and shifting by B.
  BucketT* bucket0_ = nullptr;
  std::size_t mask_ = 0;
  Array* oldbuckets_ = nullptr;  // non-null only while growing
  std::size_t nevacuate_ = 0;    // old buckets below this are evacuated
  std::size_t live_iters_ = 0;   // initialised iterators not yet at their end
  std::uint32_t rebuilds_ = 0;   // rebuilds (reserve, shrink_to_fit) so far: see Iter::next
  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] KeyEqual eq_;
  [[no_unique_address]] Allocator alloc_;
#if TOPHASH_DEBUG_ITERATORS
  internal::LivenessHold liveness_;  // this object's token (see internal::Liveness)
#endif
};

}  // namespace tophash

#include "tophash/internal/bucket_map_write.h"
#include "tophash/internal/bucket_map_iter.h"
