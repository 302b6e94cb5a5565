// tophash/internal/bucket.h: Go's bmap (one bucket of eight slots) and the
// bucket array that owns a generation of buckets and their overflow chains.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// On the functions that compute the address of a slot or of a bucket of
// an array from an index: such an address is in bounds and aligned by
// construction (a slot index is below kBucketCnt, a bucket index below the
// array's length, and buckets come from an allocator of Bucket), so
// UBSan's pointer-overflow and alignment checks of it can never fail. They
// are left out because they are not free: in a fuzz build each is a
// compare traced for libFuzzer on every slot a lookup visits, a quarter
// of a tiny-hash fuzz target's time. Every other check stays, and ASan
// still checks each access.
#if defined(__clang__)
#define TOPHASH_SLOT_ADDRESS __attribute__((no_sanitize("pointer-overflow", "alignment")))
#else
#define TOPHASH_SLOT_ADDRESS
#endif

namespace tophash::internal {

inline constexpr std::size_t kBucketCnt = 8;  // slots per bucket (bucketCnt)

// Growth thresholds (runtime/map.go), named once: the map and the harness
// that judges it both read them from here.
inline constexpr std::size_t kLoadFactorNum = 13;  // loadFactorNum: a map grows past
inline constexpr std::size_t kLoadFactorDen = 2;   // loadFactorDen: 13/2 = 6.5 keys per bucket
inline constexpr unsigned kMaxOverflowLog2 = 15;   // tooManyOverflowBuckets caps B at 15
// advanceEvacuationMark looks at most this many buckets past the mark, to
// keep a write O(1).
inline constexpr std::size_t kMaxEvacuationScan = 1024;

// overLoadFactor: more than a bucket's worth of keys and more than 6.5
// per bucket on average, for 2^B buckets.
inline constexpr bool over_load_factor(std::size_t count, unsigned B) noexcept {
  return count > kBucketCnt && count > kLoadFactorNum * ((std::size_t{1} << B) / kLoadFactorDen);
}
// tooManyOverflowBuckets: as many overflow buckets as buckets (B capped
// at kMaxOverflowLog2), which starts a same-size growth.
inline constexpr bool too_many_overflow_buckets(std::size_t noverflow, unsigned B) noexcept {
  return noverflow >= (std::size_t{1} << (B < kMaxOverflowLog2 ? B : kMaxOverflowLog2));
}

// tophash states. A slot's tophash byte is either one of these marks or a
// filled value >= kMinTopHash (the hash's top byte, moved up past the marks).
inline constexpr std::uint8_t kEmptyRest = 0;       // empty, and so is every later slot of the chain
inline constexpr std::uint8_t kEmptyOne = 1;        // empty
inline constexpr std::uint8_t kEvacuatedX = 2;      // entry moved to the first half of the new array
inline constexpr std::uint8_t kEvacuatedY = 3;      // entry moved to the second half
inline constexpr std::uint8_t kEvacuatedEmpty = 4;  // empty, and the bucket is evacuated
inline constexpr std::uint8_t kMinTopHash = 5;      // smallest filled value

static_assert(kEvacuatedX + 1 == kEvacuatedY && (kEvacuatedX ^ 1) == kEvacuatedY,
              "evacuation picks X/Y by adding one bit: the two marks must differ in the low bit only");

inline constexpr bool is_empty(std::uint8_t t) noexcept { return t <= kEmptyOne; }
inline constexpr bool is_filled(std::uint8_t t) noexcept { return t >= kMinTopHash; }
inline constexpr bool is_evacuated_slot(std::uint8_t t) noexcept {
  return t == kEvacuatedX || t == kEvacuatedY;
}

// SWAR over a bucket's tophash array read as one word, slot i in byte i:
// the top bit of each byte says whether that slot qualifies. Exact (no
// false positives, unlike the cheaper borrow trick): a false match would
// compare a key in an empty slot.
inline constexpr std::uint64_t kSlotLsb = 0x0101010101010101ull;
inline constexpr std::uint64_t kSlotMsb = 0x8080808080808080ull;
// Bytes equal to zero: the top bit of (low seven bits + 0x7f) is set iff
// one of them is, which never carries into the next byte.
inline constexpr std::uint64_t swar_match_zero(std::uint64_t w) noexcept {
  return ~(((w & ~kSlotMsb) + ~kSlotMsb) | w | ~kSlotMsb);
}
// One bit per slot: the top bits of the bytes gathered into bits 0..7
// (each product term lands on its own bit, so nothing carries).
inline constexpr std::uint32_t swar_to_slots(std::uint64_t m) noexcept {
  return static_cast<std::uint32_t>(((m >> 7) * 0x0102040810204080ull) >> 56);
}
static_assert(swar_match_zero(0x0500000100ff0000ull) == 0x0080800080008080ull &&
                  swar_to_slots(0x0080800080008080ull) == 0x6b,
              "SWAR masks must be exact and keep slot order");

// The eight tophash bytes of a bucket, examined at once (SSE2 where there
// is SSE2, SWAR elsewhere). Each match returns a slot mask: bit i set
// exactly for the slots i that qualify, so counting trailing zeros visits
// them in slot order, as a slot-by-slot scan would.
class TophashGroup {
 public:
  explicit TophashGroup(const std::uint8_t* tophash) noexcept {
#if defined(__SSE2__)
    v_ = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(tophash));
#else
    std::memcpy(&w_, tophash, sizeof w_);
    if constexpr (std::endian::native == std::endian::big) w_ = __builtin_bswap64(w_);
#endif
  }
  std::uint32_t match(std::uint8_t b) const noexcept {
#if defined(__SSE2__)
    // b in each of the low eight bytes: a multiply and a move, where
    // _mm_set1_epi8 takes four shuffles on SSE2.
    const __m128i bs = _mm_set_epi64x(0, static_cast<long long>(kSlotLsb * b));
    return low8(_mm_cmpeq_epi8(v_, bs));
#else
    return swar_to_slots(swar_match_zero(w_ ^ (kSlotLsb * b)));
#endif
  }
  // emptyRest.
  std::uint32_t match_empty_rest() const noexcept { return match(0); }
  static_assert(kEmptyRest == 0);
  // emptyRest or emptyOne: every bit but the lowest clear.
  std::uint32_t match_empty() const noexcept {
    static_assert(kEmptyRest == 0 && kEmptyOne == 1);
#if defined(__SSE2__)
    return low8(_mm_cmpeq_epi8(_mm_and_si128(v_, _mm_set1_epi8(static_cast<char>(0xfe))), _mm_setzero_si128()));
#else
    return swar_to_slots(swar_match_zero(w_ & ~kSlotLsb));
#endif
  }
  // Slots an iterator visits: an entry or an evacuation leftover (neither
  // empty nor evacuatedEmpty).
  std::uint32_t match_occupied() const noexcept { return ~(match_empty() | match(kEvacuatedEmpty)) & 0xffu; }

 private:
#if defined(__SSE2__)
  static std::uint32_t low8(__m128i eq) noexcept { return static_cast<std::uint32_t>(_mm_movemask_epi8(eq)) & 0xffu; }
  __m128i v_;
#else
  std::uint64_t w_;
#endif
};

// The slots before the first one in `mask` (all slots if none): the
// trailing zeros of mask as ones.
inline constexpr std::uint32_t slots_before_first(std::uint32_t mask) noexcept { return ~mask & (mask - 1); }
static_assert(slots_before_first(0) == ~0u && slots_before_first(0b10100) == 0b11 && slots_before_first(1) == 0);
inline std::size_t first_slot(std::uint32_t mask) noexcept { return static_cast<std::size_t>(__builtin_ctz(mask)); }

inline constexpr std::uint8_t top_hash(std::uint64_t hash) noexcept {
  auto top = static_cast<std::uint8_t>(hash >> 56);
  return top < kMinTopHash ? static_cast<std::uint8_t>(top + kMinTopHash) : top;
}

// One bucket. Keys and values live in separate arrays, as in Go, so a
// bucket of u64 keys and values is 144 bytes, Go's own size:
//
//   +--------------------+----------+-------------+-------------+
//   | tophash[8] (8 B)   | overflow | keys[8]     | values[8]   |
//   +--------------------+----------+-------------+-------------+
//
// Storage for keys and values is raw: a slot holds live objects exactly
// when its tophash is filled (>= 5) or evacuatedX/Y (a copy or a moved-from
// leftover that an iterator may still read; see bucket_map.h).
template <class K, class V>
struct Bucket {
  std::uint8_t tophash[kBucketCnt];
  Bucket* overflow;
  alignas(K) unsigned char key_storage[kBucketCnt * sizeof(K)];
  alignas(V) unsigned char value_storage[kBucketCnt * sizeof(V)];

  // A slot's key and value: the address (for construction and
  // destruction) or, to read or update a live one, the object (so the
  // dereference is in here too, see TOPHASH_SLOT_ADDRESS).
  TOPHASH_SLOT_ADDRESS K* key(std::size_t i) noexcept {
    return std::launder(reinterpret_cast<K*>(key_storage) + i);
  }
  TOPHASH_SLOT_ADDRESS V* value(std::size_t i) noexcept {
    return std::launder(reinterpret_cast<V*>(value_storage) + i);
  }
  TOPHASH_SLOT_ADDRESS const K* key(std::size_t i) const noexcept {
    return std::launder(reinterpret_cast<const K*>(key_storage) + i);
  }
  TOPHASH_SLOT_ADDRESS const V* value(std::size_t i) const noexcept {
    return std::launder(reinterpret_cast<const V*>(value_storage) + i);
  }
  TOPHASH_SLOT_ADDRESS K& key_ref(std::size_t i) noexcept { return *key(i); }
  TOPHASH_SLOT_ADDRESS V& value_ref(std::size_t i) noexcept { return *value(i); }
  TOPHASH_SLOT_ADDRESS const K& key_ref(std::size_t i) const noexcept { return *key(i); }
  TOPHASH_SLOT_ADDRESS const V& value_ref(std::size_t i) const noexcept { return *value(i); }
  TophashGroup group() const noexcept { return TophashGroup(tophash); }
  // evacuated(b): the first slot carries the bucket's evacuation state.
  bool evacuated() const noexcept {
    return tophash[0] > kEmptyOne && tophash[0] < kMinTopHash;
  }
  void reset() noexcept {
    std::memset(tophash, 0, sizeof tophash);
    overflow = nullptr;
  }
  // Destroys what the slot holds (live entry or evacuation leftover).
  void destroy_slot(std::size_t i) noexcept {
    if constexpr (!std::is_trivially_destructible_v<K>) key_ref(i).~K();
    if constexpr (!std::is_trivially_destructible_v<V>) value_ref(i).~V();
  }
  void destroy_all() noexcept {
    if constexpr (!std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>) {
      for (std::size_t i = 0; i < kBucketCnt; ++i) {
        if (is_filled(tophash[i]) || is_evacuated_slot(tophash[i])) destroy_slot(i);
      }
    }
  }
};

// Go's malloc size classes (runtime/sizeclasses.go, Go 1.19), used only to
// decide how many overflow buckets makeBucketArray preallocates: Go rounds
// the array up to a size class and fills the slack with overflow buckets.
inline std::size_t go_roundupsize(std::size_t size) noexcept {
  static constexpr std::uint16_t kClassToSize[] = {
      0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
      160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
      448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
      1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
      6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
      18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
  constexpr std::size_t kMaxSmallSize = 32768, kPageSize = 8192;
  if (size < kMaxSmallSize) {
    for (std::uint16_t c : kClassToSize) {
      if (c >= size) return c;
    }
  }
  if (size + kPageSize < size) return size;
  return (size + kPageSize - 1) / kPageSize * kPageSize;
}

// makeBucketArray: 2^b buckets, plus (for b >= 4) overflow buckets
// preallocated in the same allocation and handed out first.
inline std::size_t go_bucket_array_len(std::uint8_t b, std::size_t bucket_size) noexcept {
  std::size_t base = std::size_t{1} << b;
  std::size_t n = base;
  if (b >= 4) {
    n += std::size_t{1} << (b - 4);
    std::size_t sz = bucket_size * n;
    std::size_t up = go_roundupsize(sz);
    if (up != sz) n = up / bucket_size;
  }
  return n;
}

// One generation of buckets: the array Go calls h.buckets (later
// h.oldbuckets), the overflow buckets chained from it, and what Go keeps in
// h.extra for it (nextOverflow, the overflow list). It is reference
// counted: the map holds it while it is current or old, and every iterator
// that walks it holds it too, so an iterator never reads freed memory
// however the map changes (Go gets the same from its garbage collector).
//
// The array and this header are one allocation (header first, then the
// buckets), as Go allocates the array in one piece; the list of the first
// few separately allocated overflow buckets lives in the header too.
//
// Not thread-safe: a map and its iterators are used from one thread at a
// time, as in Go.
template <class K, class V, class Alloc>
class BucketArray {
 public:
  using BucketT = Bucket<K, V>;
  using Traits = std::allocator_traits<Alloc>;
  using BucketAlloc = typename Traits::template rebind_alloc<BucketT>;
  using PtrAlloc = typename Traits::template rebind_alloc<BucketT*>;
  // The allocation's unit, aligned as a bucket and at least to 16 bytes,
  // as operator new aligns (the lookup's prefetch counts on buckets that
  // start 16-byte aligned, see BucketMap::prefetch_bucket).
  static constexpr std::size_t kAlign = alignof(BucketT) > 16 ? alignof(BucketT) : 16;
  struct Unit {
    alignas(kAlign) unsigned char bytes[kAlign];
  };
  using UnitAlloc = typename Traits::template rebind_alloc<Unit>;
  using UnitTraits = std::allocator_traits<UnitAlloc>;

  static BucketArray* create(std::uint8_t b, const Alloc& alloc) {
    static_assert(alignof(BucketArray) <= kAlign);
    const std::size_t n = go_bucket_array_len(b, sizeof(BucketT));
    UnitAlloc unit_alloc(alloc);
    Unit* block = allocate_block(unit_alloc, units(n));
    auto* buckets = reinterpret_cast<BucketT*>(reinterpret_cast<unsigned char*>(block) + header_bytes());
    return ::new (static_cast<void*>(block)) BucketArray(b, n, buckets, alloc);
  }

  void retain() noexcept { ++refs_; }
  static void release(BucketArray* a) noexcept {
    if (a == nullptr || --a->refs_ != 0) return;
    UnitAlloc unit_alloc(a->alloc_);
    const std::size_t n = a->nbuckets_;
    a->~BucketArray();
    deallocate_block(unit_alloc, reinterpret_cast<Unit*>(a), units(n));
  }
  std::size_t refs() const noexcept { return refs_; }

  std::uint8_t log2_len() const noexcept { return b_; }
  std::size_t len() const noexcept { return std::size_t{1} << b_; }
  TOPHASH_SLOT_ADDRESS BucketT* bucket(std::size_t i) noexcept { return &buckets_[i]; }
  TOPHASH_SLOT_ADDRESS const BucketT* bucket(std::size_t i) const noexcept { return &buckets_[i]; }

  // Bytes this generation holds: the array with its preallocated overflow
  // buckets, the separately allocated overflow buckets, and bookkeeping.
  std::size_t bytes() const noexcept {
    return units(nbuckets_) * sizeof(Unit) + extra_len_ * sizeof(BucketT) +
           (extra_ == inline_extra_ ? 0 : extra_cap_ * sizeof(BucketT*));
  }

  // newoverflow's allocation: a preallocated bucket if any is left, else a
  // fresh one remembered in the overflow list (h.extra.overflow).
  BucketT* take_overflow() {
    if (next_prealloc_ < nbuckets_) return bucket(next_prealloc_++);
    if (extra_len_ == extra_cap_) grow_extra();
    BucketAlloc ba(alloc_);
    BucketT* b = std::allocator_traits<BucketAlloc>::allocate(ba, 1);
    ::new (static_cast<void*>(b)) BucketT;
    b->reset();
    extra_[extra_len_++] = b;
    return b;
  }

  // Where take_overflow stands: what a failed evacuation or rebuild gives
  // back (give_back_overflow) to leave the array as it found it.
  struct OverflowMark {
    std::size_t prealloc, extra;
  };
  OverflowMark overflow_mark() const noexcept { return {next_prealloc_, extra_len_}; }
  // Unlinks nothing: the caller has emptied those buckets of objects and
  // dropped the links to them. Preallocated ones go back on offer, the
  // others are freed.
  void give_back_overflow(OverflowMark m) noexcept {
    for (std::size_t i = m.prealloc; i < next_prealloc_; ++i) buckets_[i].reset();
    next_prealloc_ = m.prealloc;
    BucketAlloc ba(alloc_);
    for (std::size_t i = m.extra; i < extra_len_; ++i) std::allocator_traits<BucketAlloc>::deallocate(ba, extra_[i], 1);
    extra_len_ = m.extra;
  }
  // Forgets every slot's state without destroying anything: for an array
  // being built whose slots were claimed but whose objects were given back.
  void forget_slots() noexcept {
    for (std::size_t i = 0; i < next_prealloc_; ++i) std::memset(buckets_[i].tophash, 0, kBucketCnt);
    for (std::size_t i = 0; i < extra_len_; ++i) std::memset(extra_[i]->tophash, 0, kBucketCnt);
  }

  // mapclear's makeBucketArray(t, B, h.buckets): destroy every entry, reset
  // the array and its preallocated buckets in place, drop the other
  // overflow buckets. When an iterator still holds this array it may be
  // standing in one of them, so they are emptied and unlinked but freed
  // (or, preallocated, reused) only once no iterator holds the array.
  TOPHASH_SLOT_ADDRESS void clear_in_place() noexcept {
    for (std::size_t i = 0; i < next_prealloc_; ++i) {
      buckets_[i].destroy_all();
      buckets_[i].reset();
    }
    for (std::size_t i = 0; i < extra_len_; ++i) {
      extra_[i]->destroy_all();
      extra_[i]->reset();
    }
    // The preallocated buckets go back on offer only when no iterator
    // holds the array: one standing in such a bucket would otherwise follow
    // it into whichever chain reuses it, and yield that chain twice. (Go
    // reuses them regardless; which buckets are preallocated never shows
    // in the layout, so this changes no dump.)
    if (refs_ == 1) {
      free_extra();
      next_prealloc_ = len();
    }
  }

 private:
  // The header's size in the allocation, rounded up so the buckets after
  // it are aligned as the block; and the block's size in units for n buckets.
  static constexpr std::size_t header_bytes() noexcept {
    return (sizeof(BucketArray) + kAlign - 1) / kAlign * kAlign;
  }
  // A large array under the default allocator is placed on huge-page
  // boundaries and the kernel is asked to back it with transparent huge
  // pages (madvise; what the kernel does with the request is its own
  // setting), as Go's heap asks for its arenas: a lookup in a big map
  // then misses the TLB far less often. The layout inside is unchanged.
  // Any other allocator gets exactly its allocate and deallocate calls.
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr bool huge(std::size_t units) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    return std::is_same_v<UnitAlloc, std::allocator<Unit>> && units * sizeof(Unit) >= kHugePage;
#else
    (void)units;
    return false;
#endif
  }
  static Unit* allocate_block(UnitAlloc& a, std::size_t units) {
    if (!huge(units)) return UnitTraits::allocate(a, units);
    void* p = ::operator new(units * sizeof(Unit), std::align_val_t{kHugePage});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(p, units * sizeof(Unit), MADV_HUGEPAGE);  // advice: its failure changes nothing
#endif
    return static_cast<Unit*>(p);
  }
  static void deallocate_block(UnitAlloc& a, Unit* p, std::size_t units) noexcept {
    if (!huge(units)) return UnitTraits::deallocate(a, p, units);
    ::operator delete(p, std::align_val_t{kHugePage});
  }
  static constexpr std::size_t units(std::size_t n) noexcept {
    return (header_bytes() + n * sizeof(BucketT) + kAlign - 1) / kAlign;
  }

  TOPHASH_SLOT_ADDRESS BucketArray(std::uint8_t b, std::size_t n, BucketT* buckets, const Alloc& alloc) noexcept
      : alloc_(alloc), b_(b), nbuckets_(n), next_prealloc_(std::size_t{1} << b), buckets_(buckets) {
    for (std::size_t i = 0; i < nbuckets_; ++i) {
      ::new (static_cast<void*>(&buckets_[i])) BucketT;
      buckets_[i].reset();
    }
  }
  TOPHASH_SLOT_ADDRESS ~BucketArray() {
    for (std::size_t i = 0; i < next_prealloc_; ++i) buckets_[i].destroy_all();
    free_extra();
  }
  BucketArray(const BucketArray&) = delete;
  BucketArray& operator=(const BucketArray&) = delete;

  void grow_extra() {
    std::size_t cap = extra_cap_ * 2;
    PtrAlloc pa(alloc_);
    BucketT** fresh = std::allocator_traits<PtrAlloc>::allocate(pa, cap);
    if (extra_len_ != 0) std::memcpy(fresh, extra_, extra_len_ * sizeof(BucketT*));
    if (extra_ != inline_extra_) std::allocator_traits<PtrAlloc>::deallocate(pa, extra_, extra_cap_);
    extra_ = fresh;
    extra_cap_ = cap;
  }
  void free_extra() noexcept {
    BucketAlloc ba(alloc_);
    for (std::size_t i = 0; i < extra_len_; ++i) {
      extra_[i]->destroy_all();
      std::allocator_traits<BucketAlloc>::deallocate(ba, extra_[i], 1);
    }
    if (extra_ != inline_extra_) {
      PtrAlloc pa(alloc_);
      std::allocator_traits<PtrAlloc>::deallocate(pa, extra_, extra_cap_);
    }
    extra_ = inline_extra_;
    extra_len_ = 0;
    extra_cap_ = kInlineExtra;
  }

  [[no_unique_address]] Alloc alloc_;
  std::size_t refs_ = 1;
  std::uint8_t b_;
  std::size_t nbuckets_ = 0;       // 2^b plus the preallocated overflow buckets
  std::size_t next_prealloc_ = 0;  // next preallocated overflow bucket (nextOverflow)
  BucketT* buckets_ = nullptr;
  // The separately allocated overflow buckets: a list in the header up to
  // kInlineExtra of them, on the heap past that.
  static constexpr std::size_t kInlineExtra = 4;
  BucketT* inline_extra_[kInlineExtra];
  BucketT** extra_ = inline_extra_;
  std::size_t extra_len_ = 0, extra_cap_ = kInlineExtra;
};

}  // namespace tophash::internal
