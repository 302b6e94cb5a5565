// reference/invariants.h: the structural invariants of a Go 1.19 map,
// checked on a BucketMap through debug::BucketMapAccess.
//
// Per bucket chain (a bucket and its overflow buckets, in chain order):
//   - a filled slot's tophash is top(hash(key)) and the key's hash selects
//     this bucket (old buckets: under the old mask); NaN keys, whose hash is
//     random, are exempt;
//   - no key appears twice (equal keys hash alike, so a duplicate would sit
//     in the same chain with the same tophash);
//   - the trailing run of empty slots is exactly the emptyRest slots: no
//     emptyOne is followed only by empty slots (mapdelete turns that run
//     into emptyRest, across overflow buckets), and no emptyRest comes
//     before a filled slot (lookups stop at the first emptyRest);
//   - live chains (the current array, old buckets not yet evacuated) hold
//     no evacuation marks; an evacuated old bucket holds nothing else.
// Per map:
//   - count equals the filled slots of the current array plus those of the
//     old buckets not yet evacuated;
//   - while an old bucket is not evacuated, the new buckets it feeds are
//     untouched (every write evacuates first), so no key lives twice;
//   - noverflow equals the overflow buckets chained in the current array
//     (Go counts exactly below B = 16, approximately above: then at most);
//   - growth state: the old array has 2^B or 2^(B-1) buckets, nevacuate is
//     below that, every old bucket below nevacuate is evacuated and (Go
//     scans at most 1024 buckets ahead) the one at nevacuate is not; no
//     same-size flag without a growth.
//
// check_all() walks the whole table; check_touched() only what one op on
// one key can have changed (its chain's slots and that key, the old
// buckets evacuated by it and the chains they fed), so big programs stay
// fast; the executor alternates them (ExecOptions, executor.h).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "check.h"
#include "tophash/debug.h"
#include "tophash/hash.h"
#include "tophash/layout.h"

namespace tophash::reference {

template <class M>
class InvariantChecker {
  using A = debug::BucketMapAccess;
  using K = typename M::key_type;
  static constexpr std::size_t kCnt = internal::kBucketCnt;
  static constexpr std::size_t kMaxChain = std::size_t{1} << 16;
  static constexpr std::size_t kNone = ~std::size_t{0};
  // The tophash bytes are read eight at a time, slot 0 in the low byte.
  static_assert(std::endian::native == std::endian::little && kCnt == 8);

 public:
  explicit InvariantChecker(const M& m) : m_(m) {}

  // State before an op, for check_touched.
  struct Before {
    std::size_t nevacuate = 0;
    bool growing = false;
  };
  [[gnu::always_inline]] Before before() const { return {A::nevacuate(m_), A::growing(m_)}; }

  [[gnu::always_inline]] std::size_t total_buckets() const {
    return (std::size_t{1} << A::B(m_)) + (A::growing(m_) ? A::noldbuckets(m_) : 0);
  }

  void check_all() {
    check_scalars();
    const auto* arr = A::buckets(m_);
    if (arr == nullptr) return;
    const std::size_t n = std::size_t{1} << A::B(m_);
    std::size_t filled = 0, overflow = 0;
    for (std::size_t i = 0; i < n; ++i) {
      filled += check_new_chain(i, &overflow);
    }
    if (A::growing(m_)) {
      for (std::size_t j = 0; j < A::noldbuckets(m_); ++j) filled += check_old_chain(j);
    }
    if (filled != A::count(m_)) {
      fail_with("invariant: count", "count is ", A::count(m_), " but ", filled, " slots are filled");
    }
    const std::size_t nov = A::noverflow(m_);
    if (A::B(m_) < 16 ? nov != overflow : nov > overflow) {
      fail_with("invariant: noverflow", "noverflow is ", nov, " but the current array chains ", overflow,
                " overflow buckets");
    }
  }

  // After an op on a key with hash `hash` (none for ops without a key, or
  // a NaN key): the scalars, the key's chains, and every old bucket the op
  // may have evacuated with the new chains it fed.
  // `key` (with that hash) is the op's key: in its own chain the slots'
  // states, and that key's tophash and uniqueness (no other key is
  // rehashed: the op wrote no other key there). While the map grows, that
  // chain is one of those the key's old bucket feeds, which are checked in
  // full, so it is not walked a second time.
  void check_touched(const Before& before, std::optional<std::uint64_t> hash, const K* key = nullptr) {
    check_scalars();
    if (A::buckets(m_) == nullptr) return;
    if (!A::growing(m_)) {
      const std::size_t mask = (std::size_t{1} << A::B(m_)) - 1;
      if (hash) check_new_chain(*hash & mask, nullptr, key, internal::top_hash(*hash));
      return;
    }
    const std::size_t nold = A::noldbuckets(m_);
    const std::size_t keys_old = hash ? *hash & (nold - 1) : kNone;
    if (hash) check_old_and_fed(keys_old);
    if (before.growing) {
      // evacuate(nevacuate) and the mark's advance: from the old mark to a
      // bucket past the new one.
      const std::size_t hi = std::min(nold, A::nevacuate(m_) + 1);
      for (std::size_t j = before.nevacuate; j < hi; ++j) {
        if (j != keys_old) check_old_and_fed(j);
      }
    }
  }

 private:
  // Message parts (check.h fail_with): "old 3" / "new 3", a key.
  static auto where(bool old, std::size_t i) {
    return [old, i](std::string& s) { s += (old ? "old " : "new ") + std::to_string(i); };
  }
  static auto key_text(const K& k) {
    return [k = &k](std::string& s) { s += format_key(*k); };
  }

  void check_scalars() {
    const auto* arr = A::buckets(m_);
    const unsigned B = A::B(m_);
    if (!A::lookup_cache_ok(m_)) {
      fail_with("invariant: growth state", "the lookup's cached first bucket or mask disagrees with the array and B");
    }
    if (arr == nullptr) {
      if (A::count(m_) != 0 || A::growing(m_) || B != 0) {
        fail_with("invariant: growth state", "no bucket array but count ", A::count(m_), ", B ", B, ", growing ",
                  A::growing(m_));
      }
      return;
    }
    if (arr->log2_len() != B) {
      fail_with("invariant: growth state", "B is ", B, " but the current array has 2^", unsigned{arr->log2_len()},
                " buckets");
    }
    if (!A::growing(m_)) {
      if (A::same_size(m_)) fail_with("invariant: growth state", "same-size flag set while not growing");
      return;
    }
    const std::size_t nold = A::noldbuckets(m_);
    const auto* old = A::oldbuckets(m_);
    if ((std::size_t{1} << old->log2_len()) != nold || (!A::same_size(m_) && (B == 0 || old->log2_len() != B - 1)) ||
        (A::same_size(m_) && old->log2_len() != B)) {
      fail_with("invariant: growth state", "B ", B, " with an old array of 2^", unsigned{old->log2_len()},
                " buckets, samesize ", A::same_size(m_));
    }
    const std::size_t nev = A::nevacuate(m_);
    if (nev >= nold) {
      fail_with("invariant: nevacuate", "growing with nevacuate ", nev, " of ", nold,
                " old buckets (the old array should have been released)");
    }
    if (nold <= internal::kMaxEvacuationScan && old->bucket(nev)->evacuated()) {
      fail_with("invariant: nevacuate", "old bucket ", nev,
                " at the evacuation mark is evacuated: the mark was not advanced over it");
    }
  }

  // Checks the chain of old bucket j (evacuated or live) and, while it is
  // live, that the new buckets it feeds are untouched.
  void check_old_and_fed(std::size_t j) {
    check_old_chain(j);
    const auto* old = A::oldbuckets(m_);
    const std::size_t nold = A::noldbuckets(m_);
    const std::size_t nev = A::nevacuate(m_);
    if (j < nev && !old->bucket(j)->evacuated()) {
      fail_with("invariant: nevacuate", "old bucket ", j, " is below nevacuate ", nev, " but not evacuated");
    }
    check_new_chain(j, nullptr);
    if (!A::same_size(m_)) check_new_chain(j + nold, nullptr);
  }

  // Returns the filled slots of old bucket j's chain (0 when evacuated).
  std::size_t check_old_chain(std::size_t j) {
    const auto* old = A::oldbuckets(m_);
    const auto* b = old->bucket(j);
    if (j < A::nevacuate(m_) && !b->evacuated()) {
      fail_with("invariant: nevacuate", "old bucket ", j, " is below nevacuate ", A::nevacuate(m_), " but not evacuated");
    }
    if (!b->evacuated()) return check_chain(b, j, A::noldbuckets(m_) - 1, /*old=*/true, nullptr);
    std::size_t len = 0;
    for (; b != nullptr; b = b->overflow) {
      if (++len > kMaxChain) fail_with("invariant: overflow chain", where(true, j), ": chain does not end (a cycle?)");
      std::uint64_t tops;
      std::memcpy(&tops, b->tophash, sizeof tops);
      for (std::size_t s = 0; s < kCnt; ++s, tops >>= 8) {
        const std::uint8_t t = static_cast<std::uint8_t>(tops);
        if (t < internal::kEvacuatedX || t > internal::kEvacuatedEmpty) {
          fail_with("invariant: evacuation marks", where(true, j), " is evacuated but slot ", s,
                    " of its chain has tophash ", unsigned{t});
        }
      }
    }
    return 0;
  }

  // Returns the filled slots of new bucket i's chain.
  std::size_t check_new_chain(std::size_t i, std::size_t* overflow, const K* focus = nullptr,
                                              std::uint8_t focus_top = 0) {
    const auto* arr = A::buckets(m_);
    const auto* b = arr->bucket(i);
    if (A::growing(m_)) {
      const std::size_t j = i & (A::noldbuckets(m_) - 1);
      if (!A::oldbuckets(m_)->bucket(j)->evacuated()) {
        // Untouched: written before its old bucket was evacuated otherwise.
        std::uint64_t tops;
        std::memcpy(&tops, b->tophash, sizeof tops);
        static_assert(internal::kEmptyRest == 0);
        if (b->overflow != nullptr || tops != 0) {
          fail_with("invariant: evacuation order", where(false, i), " holds entries although old bucket ", j,
                    " that feeds it is not evacuated");
        }
        return 0;
      }
    }
    return check_chain(b, i, (std::size_t{1} << A::B(m_)) - 1, /*old=*/false, overflow, focus, focus_top);
  }

  // `focus` (whose tophash is focus_top): of the keys, only that one is
  // checked (tophash, uniqueness), on the way (no key list).
  template <class Bucket>
  std::size_t check_chain(const Bucket* head, std::size_t index, std::size_t mask, bool old,
                                          std::size_t* overflow, const K* focus = nullptr,
                                          std::uint8_t focus_top = 0) {
    if (head->overflow == nullptr) {
      std::uint64_t tops;
      std::memcpy(&tops, head->tophash, sizeof tops);
      if (tops == 0) return 0;  // all emptyRest: the common empty bucket
    }
    nkeys_ = 0;
    std::size_t filled = 0, len = 0, slot = 0, focus_seen = 0;
    // The trailing run of empty slots must be exactly the emptyRest slots:
    // after an emptyRest only emptyRest, and no emptyOne with only empty
    // slots after it.
    std::size_t rest_at = kNone, one_at = kNone;
    for (const Bucket* b = head; b != nullptr; b = b->overflow) {
      if (++len > kMaxChain) fail_with("invariant: overflow chain", where(old, index), ": chain does not end (a cycle?)");
      if (overflow && b != head) ++*overflow;
      std::uint64_t tops;  // the eight tophash bytes in one load (one ASan check, not eight)
      std::memcpy(&tops, b->tophash, sizeof tops);
      for (std::size_t s = 0; s < kCnt; ++s, ++slot, tops >>= 8) {
        const std::uint8_t t = static_cast<std::uint8_t>(tops);
        if (t == internal::kEmptyRest) {
          if (rest_at == kNone) rest_at = slot;
          continue;
        }
        if (rest_at != kNone) {
          fail_with("invariant: emptyRest", where(old, index), ": chain slot ", rest_at, " is emptyRest but slot ", slot,
                    " after it is ", t == internal::kEmptyOne ? "emptyOne" : "not empty");
        }
        if (t == internal::kEmptyOne) {
          if (one_at == kNone) one_at = slot;
          continue;
        }
        one_at = kNone;
        if (t < internal::kMinTopHash) {
          fail_with("invariant: evacuation marks", where(old, index), " is live but slot ", slot,
                    " of its chain has evacuation mark ", unsigned{t});
        }
        ++filled;
        check_key(*b->key(s), t, Where{old, index, slot}, mask, focus, focus_top, focus_seen);
      }
    }
    if (focus == nullptr) check_unique(index, old);
    if (one_at != kNone) {
      fail_with("invariant: emptyRest", where(old, index), ": chain slot ", one_at,
                " is emptyOne with only empty slots after it (should be emptyRest)");
    }
    return filled;
  }

  // A filled slot of a chain: which array, bucket and slot of the chain.
  struct Where {
    bool old;
    std::size_t index, slot;
  };
  // A filled slot's key with tophash t. `focus`: the op's own chain, where
  // the op wrote only its key's slot (and emptied slots), so that key's
  // tophash and uniqueness are what it can have broken; the other keys'
  // hashes are checked with the whole table (periodically, and before any
  // op that rebuilds it), which names the op that broke one (executor).
  [[gnu::always_inline]] void check_key(const K& k, std::uint8_t t, Where w, std::size_t mask,
                                                        const K* focus, std::uint8_t focus_top,
                                                        std::size_t& focus_seen) {
    if (focus != nullptr) {
      if (keys_equal(k, *focus)) {
        if (++focus_seen > 1) dup_key(w.old, w.index, k);
        if (t != focus_top) {
          fail_with("invariant: tophash", where(w.old, w.index), " slot ", w.slot, " holds key ", key_text(k),
                    " with tophash ", unsigned{t}, ", want ", unsigned{focus_top});
        }
      }
      return;
    }
    if (A::is_nan(m_, k)) return;  // random hash: no home bucket
    const std::uint64_t h = A::hash(m_, k);
    if (internal::top_hash(h) != t) {
      fail_with("invariant: tophash", where(w.old, w.index), " slot ", w.slot, " holds key ", key_text(k),
                " with tophash ", unsigned{t}, ", want ", unsigned{internal::top_hash(h)});
    }
    if ((h & mask) != w.index) {
      fail_with("invariant: bucket", where(w.old, w.index), " holds key ", key_text(k), " whose hash selects bucket ",
                h & mask);
    }
    add_key(&k, t);
  }

  [[noreturn]] void dup_key(bool old, std::size_t index, const K& k) const {
    fail_with("invariant: duplicate key", where(old, index), " holds key ", key_text(k), " twice");
  }

  // The keys of the chain being walked, with their tophash: in a buffer of
  // the checker's own up to kSmall (no allocation: most chains are one or
  // two buckets), in a vector past that (a tiny hash makes long chains).
  struct KeyTop {  // trivial: the buffer costs nothing to construct
    const K* key;
    std::uint8_t top;
  };
  static constexpr std::size_t kSmall = 32;
  [[gnu::always_inline]] void add_key(const K* k, std::uint8_t t) {
    if (nkeys_ < kSmall) [[likely]] {
      small_[nkeys_++] = KeyTop{k, t};
      return;
    }
    add_key_big(k, t);
  }
  [[gnu::noinline]] void add_key_big(const K* k, std::uint8_t t) {
    if (nkeys_ == kSmall) big_.assign(small_, small_ + kSmall);
    big_.push_back(KeyTop{k, t});
    ++nkeys_;
  }

  // std::string keys under std::equal_to: byte equality, compared as
  // words (hashing::bytes_equal) rather than through memcmp, whose
  // interceptor and libFuzzer's compare hook cost far more than the
  // compare. The same relation as the map's key_eq.
  static constexpr bool kBytesKeys =
      std::is_same_v<K, std::string> && (std::is_same_v<typename M::key_equal, std::equal_to<std::string>> ||
                                         std::is_same_v<typename M::key_equal, std::equal_to<>>);
  [[gnu::always_inline]] bool keys_equal(const K& a, const K& b) const {
    if constexpr (kBytesKeys) {
      return a.size() == b.size() && hashing::bytes_equal(a.data(), b.data(), a.size());
    } else {
      return m_.key_eq()(a, b);
    }
  }

  // No key twice in the chain just walked: a short chain is compared
  // pairwise (equal keys have equal tophash, so most pairs end at one
  // byte); a long one is sorted first.
  void check_unique(std::size_t index, bool old) {
    if (nkeys_ <= kSmall) {
      for (std::size_t i = 0; i < nkeys_; ++i) {
        for (std::size_t j = i + 1; j < nkeys_; ++j) {
          if (small_[i].top == small_[j].top && keys_equal(*small_[i].key, *small_[j].key)) {
            dup_key(old, index, *small_[i].key);
          }
        }
      }
      return;
    }
    if constexpr (kBytesKeys) {
      unique_bytes(index, old);
      return;
    }
    if constexpr (std::is_integral_v<K>) {
      // Integer keys: equal keys are equal values, so the values are
      // sorted as plain numbers (a long chain of a tiny hash holds hundreds).
      vals_.clear();
      for (const KeyTop& kt : big_) vals_.push_back(static_cast<std::uint64_t>(*kt.key));
      std::sort(vals_.begin(), vals_.end());
      const auto it = std::adjacent_find(vals_.begin(), vals_.end());
      if (it != vals_.end()) dup_key(old, index, static_cast<K>(*it));
      return;
    }
    std::sort(big_.begin(), big_.end(), [](const KeyTop& a, const KeyTop& b) {
      return a.top != b.top ? a.top < b.top : std::less<K>()(*a.key, *b.key);
    });
    for (std::size_t i = 1; i < big_.size(); ++i) {
      if (big_[i - 1].top == big_[i].top && keys_equal(*big_[i - 1].key, *big_[i].key)) dup_key(old, index, *big_[i].key);
    }
  }

  // A long chain of byte-string keys: sorted by a fingerprint of their
  // bytes (equal keys, equal fingerprints), then every two keys of a run
  // of equal fingerprints are compared, so no duplicate is missed however
  // the fingerprints collide; no string compare but of equal fingerprints.
  void unique_bytes(std::size_t index, bool old) {
    prints_.clear();
    for (std::size_t i = 0; i < big_.size(); ++i) {
      const K& k = *big_[i].key;
      prints_.push_back(Print{hashing::hash_bytes(k.data(), k.size(), 0), i});
    }
    std::sort(prints_.begin(), prints_.end(), [](const Print& a, const Print& b) { return a.print < b.print; });
    for (std::size_t lo = 0, hi = 0; lo < prints_.size(); lo = hi) {
      for (hi = lo + 1; hi < prints_.size() && prints_[hi].print == prints_[lo].print; ++hi) {
        for (std::size_t j = lo; j < hi; ++j) {
          if (keys_equal(*big_[prints_[j].at].key, *big_[prints_[hi].at].key)) dup_key(old, index, *big_[prints_[hi].at].key);
        }
      }
    }
  }

  const M& m_;
  std::size_t nkeys_ = 0;
  KeyTop small_[kSmall];
  std::vector<KeyTop> big_;
  std::vector<std::uint64_t> vals_;  // check_unique's integer keys
  struct Print {
    std::uint64_t print;
    std::size_t at;  // in big_
  };
  std::vector<Print> prints_;  // unique_bytes's
};

}  // namespace tophash::reference
