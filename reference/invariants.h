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
// one key can have changed (its chains, the old buckets evacuated by it),
// so big programs stay fast; the executor alternates them (executor.cc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "check.h"
#include "tophash/debug.h"
#include "tophash/layout.h"

namespace tophash::reference {

template <class M>
class InvariantChecker {
  using A = debug::BucketMapAccess;
  using K = typename M::key_type;
  static constexpr std::size_t kCnt = internal::kBucketCnt;
  static constexpr std::size_t kMaxChain = std::size_t{1} << 16;
  static constexpr std::size_t kNone = ~std::size_t{0};

 public:
  explicit InvariantChecker(const M& m) : m_(m) {}

  // State before an op, for check_touched.
  struct Before {
    std::size_t nevacuate = 0;
    bool growing = false;
  };
  TOPHASH_HARNESS Before before() const { return {A::nevacuate(m_), A::growing(m_)}; }

  TOPHASH_HARNESS std::size_t total_buckets() const {
    return (std::size_t{1} << A::B(m_)) + (A::growing(m_) ? A::noldbuckets(m_) : 0);
  }

  TOPHASH_HARNESS void check_all() {
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
      fail("invariant: count", "count is " + std::to_string(A::count(m_)) + " but " + std::to_string(filled) +
                                   " slots are filled");
    }
    const std::size_t nov = A::noverflow(m_);
    if (A::B(m_) < 16 ? nov != overflow : nov > overflow) {
      fail("invariant: noverflow", "noverflow is " + std::to_string(nov) + " but the current array chains " +
                                       std::to_string(overflow) + " overflow buckets");
    }
  }

  // After an op on a key with hash `hash` (none for ops without a key, or
  // a NaN key): the scalars, the key's chains, and every old bucket the op
  // may have evacuated with the new chains it fed.
  // `key` (with that hash) is the op's key: in its own chain only its own
  // uniqueness is checked, which keeps the check linear in the chain.
  TOPHASH_HARNESS void check_touched(const Before& before, std::optional<std::uint64_t> hash, const K* key = nullptr) {
    check_scalars();
    if (A::buckets(m_) == nullptr) return;
    const std::size_t mask = (std::size_t{1} << A::B(m_)) - 1;
    if (hash) check_new_chain(*hash & mask, nullptr, key);
    if (!A::growing(m_)) return;
    const std::size_t nold = A::noldbuckets(m_);
    if (hash) check_old_and_fed(*hash & (nold - 1));
    if (before.growing) {
      // evacuate(nevacuate) and the mark's advance: from the old mark to a
      // bucket past the new one.
      const std::size_t hi = std::min(nold, A::nevacuate(m_) + 1);
      for (std::size_t j = before.nevacuate; j < hi; ++j) check_old_and_fed(j);
    }
  }

 private:
  TOPHASH_HARNESS std::string where(bool old, std::size_t i) const { return std::string(old ? "old " : "new ") + std::to_string(i); }

  TOPHASH_HARNESS void check_scalars() {
    const auto* arr = A::buckets(m_);
    const unsigned B = A::B(m_);
    if (arr == nullptr) {
      if (A::count(m_) != 0 || A::growing(m_) || B != 0) {
        fail("invariant: growth state", "no bucket array but count " + std::to_string(A::count(m_)) + ", B " +
                                            std::to_string(B) + ", growing " + std::to_string(A::growing(m_)));
      }
      return;
    }
    if (arr->log2_len() != B) {
      fail("invariant: growth state",
           "B is " + std::to_string(B) + " but the current array has 2^" + std::to_string(arr->log2_len()) + " buckets");
    }
    if (!A::growing(m_)) {
      if (A::same_size(m_)) fail("invariant: growth state", "same-size flag set while not growing");
      return;
    }
    const std::size_t nold = A::noldbuckets(m_);
    const auto* old = A::oldbuckets(m_);
    if ((std::size_t{1} << old->log2_len()) != nold || (!A::same_size(m_) && (B == 0 || old->log2_len() != B - 1)) ||
        (A::same_size(m_) && old->log2_len() != B)) {
      fail("invariant: growth state", "B " + std::to_string(B) + " with an old array of 2^" +
                                          std::to_string(old->log2_len()) + " buckets, samesize " +
                                          std::to_string(A::same_size(m_)));
    }
    const std::size_t nev = A::nevacuate(m_);
    if (nev >= nold) {
      fail("invariant: nevacuate", "growing with nevacuate " + std::to_string(nev) + " of " + std::to_string(nold) +
                                       " old buckets (the old array should have been released)");
    }
    if (nold <= 1024 && old->bucket(nev)->evacuated()) {
      fail("invariant: nevacuate", "old bucket " + std::to_string(nev) +
                                       " at the evacuation mark is evacuated: the mark was not advanced over it");
    }
  }

  // Checks the chain of old bucket j (evacuated or live) and, while it is
  // live, that the new buckets it feeds are untouched.
  TOPHASH_HARNESS void check_old_and_fed(std::size_t j) {
    check_old_chain(j);
    const auto* old = A::oldbuckets(m_);
    const std::size_t nold = A::noldbuckets(m_);
    const std::size_t nev = A::nevacuate(m_);
    if (j < nev && !old->bucket(j)->evacuated()) {
      fail("invariant: nevacuate",
           "old bucket " + std::to_string(j) + " is below nevacuate " + std::to_string(nev) + " but not evacuated");
    }
    check_new_chain(j, nullptr);
    if (!A::same_size(m_)) check_new_chain(j + nold, nullptr);
  }

  // Returns the filled slots of old bucket j's chain (0 when evacuated).
  TOPHASH_HARNESS std::size_t check_old_chain(std::size_t j) {
    const auto* old = A::oldbuckets(m_);
    const auto* b = old->bucket(j);
    if (j < A::nevacuate(m_) && !b->evacuated()) {
      fail("invariant: nevacuate",
           "old bucket " + std::to_string(j) + " is below nevacuate " + std::to_string(A::nevacuate(m_)) + " but not evacuated");
    }
    if (!b->evacuated()) return check_chain(b, j, A::noldbuckets(m_) - 1, /*old=*/true, nullptr);
    std::size_t len = 0;
    for (; b != nullptr; b = b->overflow) {
      if (++len > kMaxChain) fail("invariant: overflow chain", where(true, j) + ": chain does not end (a cycle?)");
      for (std::size_t s = 0; s < kCnt; ++s) {
        const std::uint8_t t = b->tophash[s];
        if (t < internal::kEvacuatedX || t > internal::kEvacuatedEmpty) {
          fail("invariant: evacuation marks", where(true, j) + " is evacuated but slot " + std::to_string(s) +
                                                  " of its chain has tophash " + std::to_string(t));
        }
      }
    }
    return 0;
  }

  // Returns the filled slots of new bucket i's chain.
  TOPHASH_HARNESS std::size_t check_new_chain(std::size_t i, std::size_t* overflow, const K* focus = nullptr) {
    const auto* arr = A::buckets(m_);
    const auto* b = arr->bucket(i);
    if (A::growing(m_)) {
      const std::size_t j = i & (A::noldbuckets(m_) - 1);
      if (!A::oldbuckets(m_)->bucket(j)->evacuated()) {
        // Untouched: written before its old bucket was evacuated otherwise.
        bool pristine = b->overflow == nullptr;
        for (std::size_t s = 0; s < kCnt; ++s) pristine = pristine && b->tophash[s] == internal::kEmptyRest;
        if (!pristine) {
          fail("invariant: evacuation order", where(false, i) + " holds entries although old bucket " +
                                                  std::to_string(j) + " that feeds it is not evacuated");
        }
        return 0;
      }
    }
    return check_chain(b, i, (std::size_t{1} << A::B(m_)) - 1, /*old=*/false, overflow, focus);
  }

  template <class Bucket>
  TOPHASH_HARNESS std::size_t check_chain(const Bucket* head, std::size_t index, std::size_t mask, bool old,
                                          std::size_t* overflow, const K* focus = nullptr) {
    if (head->overflow == nullptr) {
      std::uint64_t tops;
      std::memcpy(&tops, head->tophash, sizeof tops);
      if (tops == 0) return 0;  // all emptyRest: the common empty bucket
    }
    keys_.clear();
    std::size_t filled = 0, len = 0, slot = 0;
    // The trailing run of empty slots must be exactly the emptyRest slots:
    // after an emptyRest only emptyRest, and no emptyOne with only empty
    // slots after it.
    std::size_t rest_at = kNone, one_at = kNone;
    for (const Bucket* b = head; b != nullptr; b = b->overflow) {
      if (++len > kMaxChain) fail("invariant: overflow chain", where(old, index) + ": chain does not end (a cycle?)");
      if (overflow && b != head) ++*overflow;
      for (std::size_t s = 0; s < kCnt; ++s, ++slot) {
        const std::uint8_t t = b->tophash[s];
        if (t == internal::kEmptyRest) {
          if (rest_at == kNone) rest_at = slot;
          continue;
        }
        if (rest_at != kNone) {
          fail("invariant: emptyRest", where(old, index) + ": chain slot " + std::to_string(rest_at) +
                                           " is emptyRest but slot " + std::to_string(slot) + " after it is " +
                                           (t == internal::kEmptyOne ? "emptyOne" : "not empty"));
        }
        if (t == internal::kEmptyOne) {
          if (one_at == kNone) one_at = slot;
          continue;
        }
        one_at = kNone;
        if (t < internal::kMinTopHash) {
          fail("invariant: evacuation marks", where(old, index) + " is live but slot " + std::to_string(slot) +
                                                  " of its chain has evacuation mark " + std::to_string(t));
        }
        ++filled;
        const K& k = *b->key(s);
        if (A::is_nan(m_, k)) continue;  // random hash: no home bucket
        const std::uint64_t h = A::hash(m_, k);
        if (internal::top_hash(h) != t) {
          fail("invariant: tophash", where(old, index) + " slot " + std::to_string(slot) + " holds key " +
                                         format_key(k) + " with tophash " + std::to_string(t) + ", want " +
                                         std::to_string(internal::top_hash(h)));
        }
        if ((h & mask) != index) {
          fail("invariant: bucket", where(old, index) + " holds key " + format_key(k) + " whose hash selects bucket " +
                                        std::to_string(h & mask));
        }
        keys_.emplace_back(&k, t);
      }
    }
    check_unique(index, old, focus);
    if (one_at != kNone) {
      fail("invariant: emptyRest", where(old, index) + ": chain slot " + std::to_string(one_at) +
                                       " is emptyOne with only empty slots after it (should be emptyRest)");
    }
    return filled;
  }

  // No key twice in the chain just walked (keys_). With a focus key, only
  // that one is counted; a short chain is compared pairwise; a long one
  // (a tiny hash puts every key in a few chains) is sorted first.
  TOPHASH_HARNESS void check_unique(std::size_t index, bool old, const K* focus) {
    const auto& eq = m_.key_eq();
    auto dup = [&](const K& k) {
      fail("invariant: duplicate key", where(old, index) + " holds key " + format_key(k) + " twice");
    };
    if (focus != nullptr) {
      int n = 0;
      for (const auto& [k, t] : keys_) {
        if (eq(*k, *focus) && ++n > 1) dup(*k);
      }
    } else if (keys_.size() <= 16) {
      for (std::size_t i = 0; i < keys_.size(); ++i) {
        for (std::size_t j = i + 1; j < keys_.size(); ++j) {
          if (keys_[i].second == keys_[j].second && eq(*keys_[i].first, *keys_[j].first)) dup(*keys_[i].first);
        }
      }
    } else {
      std::sort(keys_.begin(), keys_.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second < b.second : std::less<K>()(*a.first, *b.first);
      });
      for (std::size_t i = 1; i < keys_.size(); ++i) {
        if (keys_[i - 1].second == keys_[i].second && eq(*keys_[i - 1].first, *keys_[i].first)) dup(*keys_[i].first);
      }
    }
  }

  const M& m_;
  std::vector<std::pair<const K*, std::uint8_t>> keys_;
};

}  // namespace tophash::reference
