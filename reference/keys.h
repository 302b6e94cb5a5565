// reference/keys.h: what each key type of the op language means in C++:
// the map's key and value types, how an Op's reprs (trace.h) become keys
// and values, how keys read back from the map become reprs again (for the
// model and the iteration oracle), and the hash a Program asks for.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <algorithm>
#include <cstddef>
#include <vector>

#include "counted.h"
#include "tophash/hash.h"
#include "trace.h"

namespace tophash::reference {

// String reprs by content: the inverse of Program::strings (the first
// index of each content). An open-addressing table of indices into the
// program's strings, in one vector the executor reuses from program to
// program: no allocation per string (under ASan each records a stack
// trace, and libFuzzer runs an input twice when it allocates more than it
// frees), and a lookup is a hash and one compare.
class Interner {
 public:
  Interner() = default;
  explicit Interner(const trace::Program& p) { reset(p); }
  // Now for p, keeping the table's capacity (the executor reuses one).
  void reset(const trace::Program& p) {
    strings_ = &p.strings;
    std::size_t n = 16;
    while (n < 2 * p.strings.size()) n *= 2;
    if (slots_.size() < n) slots_.resize(n);
    std::fill(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(n), 0u);
    mask_ = n - 1;
    for (std::uint32_t i = 0; i < p.strings.size(); ++i) {
      std::uint32_t& slot = probe(p.strings[i]);
      if (slot == 0) slot = i + 1;
    }
  }
  // false for a string the program never named.
  bool find(std::string_view s, std::uint64_t& repr) const {
    if (strings_ == nullptr) return false;
    const std::uint32_t slot = const_cast<Interner*>(this)->probe(s);
    if (slot == 0) return false;
    repr = slot - 1;
    return true;
  }

 private:
  // The slot of s: holding its index + 1, or the empty one (0) where it would go.
  std::uint32_t& probe(std::string_view s) {
    for (std::size_t i = hashing::hash_bytes(s.data(), s.size(), 0) & mask_;; i = (i + 1) & mask_) {
      std::uint32_t& slot = slots_[i];
      if (slot == 0) return slot;
      const std::string& t = (*strings_)[slot - 1];
      if (t.size() == s.size() && hashing::bytes_equal(t.data(), s.data(), s.size())) return slot;
    }
  }

  const std::vector<std::string>* strings_ = nullptr;
  std::vector<std::uint32_t> slots_;  // index + 1; 0: empty
  std::size_t mask_ = 0;
};

template <trace::KeyType T>
struct KeyOps;

// Shared by the integer-like key types.
struct IdKeyOps {
  static constexpr bool may_be_nan(std::uint64_t) { return false; }
  static constexpr std::uint64_t identity(std::uint64_t r) { return r; }  // the model's key
};

template <>
struct KeyOps<trace::KeyType::kU64> : IdKeyOps {
  using K = std::uint64_t;
  using V = std::uint64_t;
  static K key(const trace::Program&, std::uint64_t r) { return r; }
  static V value(const trace::Program&, std::uint64_t r) { return r; }
  static bool key_repr(const Interner&, const K& k, std::uint64_t& r) { return r = k, true; }
  static std::uint64_t value_repr(const trace::Program&, const Interner&, const V& v, bool& ok) {
    return ok = true, v;
  }
  static bool is_nan(const K&) { return false; }
};

template <>
struct KeyOps<trace::KeyType::kCounted> : IdKeyOps {
  using K = CountedKey;
  using V = CountedValue;
  static K key(const trace::Program&, std::uint64_t r) { return K(r); }
  static V value(const trace::Program&, std::uint64_t r) { return V(r); }
  static bool key_repr(const Interner&, const K& k, std::uint64_t& r) { return r = k.id(), true; }
  static std::uint64_t value_repr(const trace::Program&, const Interner&, const V& v, bool& ok) {
    ok = !v.hollow();  // a moved-from value is never what a lookup should find
    return v.id();
  }
  static bool is_nan(const K&) { return false; }
};

template <>
struct KeyOps<trace::KeyType::kDouble> {
  using K = double;
  using V = std::uint64_t;
  static K key(const trace::Program&, std::uint64_t r) { return std::bit_cast<double>(r); }
  static V value(const trace::Program&, std::uint64_t r) { return r; }
  static bool key_repr(const Interner&, const K& k, std::uint64_t& r) { return r = std::bit_cast<std::uint64_t>(k), true; }
  static std::uint64_t value_repr(const trace::Program&, const Interner&, const V& v, bool& ok) {
    return ok = true, v;
  }
  static bool is_nan(const K& k) { return std::isnan(k); }
  static bool may_be_nan(std::uint64_t r) { return std::isnan(std::bit_cast<double>(r)); }
  // -0 and +0 are one key (the stored one is whichever was put last).
  static std::uint64_t identity(std::uint64_t r) { return r == (std::uint64_t{1} << 63) ? 0 : r; }
};

template <>
struct KeyOps<trace::KeyType::kString> : IdKeyOps {
  using K = std::string;
  using V = std::string;
  static const K& key(const trace::Program& p, std::uint64_t r) { return p.strings[r]; }  // no copy
  static V value(const trace::Program& p, std::uint64_t r) { return p.strings[r]; }
  static bool key_repr(const Interner& in, const K& k, std::uint64_t& r) { return in.find(k, r); }
  static std::uint64_t value_repr(const trace::Program&, const Interner& in, const V& v, bool& ok) {
    std::uint64_t r = ~std::uint64_t{0};
    ok = in.find(v, r);
    return r;
  }
  static bool is_nan(const K&) { return false; }
};

// The hashes a pinned trace gives NaN keys (`hash nan 0xH`,
// trace-format.md): Go hashes each NaN afresh wherever it hashes one (a
// put, a del, each evacuation into a bigger array), so a pin is not a
// key's but the next such hashing's, consumed in order.
struct NanPins {
  std::vector<std::uint64_t> hashes;
  std::size_t next = 0;

  void reset() { hashes.clear(), next = 0; }
  void push(std::uint64_t h) { hashes.push_back(h); }
};

// The hash a Program asks for (trace.h HashMode), as BucketMap's Hash.
template <trace::KeyType T>
struct ProgramHash {
  using Ops = KeyOps<T>;
  using K = typename Ops::K;
  using Pins = std::unordered_map<std::uint64_t, std::uint64_t>;  // key identity -> hash

  trace::HashMode mode = trace::HashMode::kReal;
  std::uint32_t tiny = 1;
  const Pins* pins = nullptr;
  const Interner* interner = nullptr;
  NanPins* nans = nullptr;  // pinned mode: the hashes of NaN keys, in order

  // A NaN's hash (BucketMap::hash_of): the next pinned one while they
  // last, else the map's random draw, as without pins.
  std::uint64_t unequal_key_hash(std::uint64_t random, std::uint64_t seed) const noexcept {
    if (mode == trace::HashMode::kPinned && nans != nullptr && nans->next < nans->hashes.size()) {
      return nans->hashes[nans->next++];
    }
    return hashing::hash_u64(random, seed);
  }

  std::uint64_t operator()(const K& k, std::uint64_t seed) const noexcept {
    switch (mode) {
      case trace::HashMode::kReal: return real(k, seed);
      case trace::HashMode::kTiny:
        // Few distinct values, each still spread over all 64 bits (so the
        // tophash and the bucket bits vary between the groups).
        return hashing::hash_u64(group(k) % tiny, seed);
      case trace::HashMode::kPinned: return pinned(k);
    }
    return 0;
  }

 private:
  // Out of line: its local, whose address is taken, would give every hash
  // an ASan stack frame to poison and clear.
  [[gnu::noinline]] std::uint64_t pinned(const K& k) const noexcept {
    std::uint64_t r = 0;
    if (!Ops::key_repr(*interner, k, r)) return 0;
    auto it = pins->find(Ops::identity(r));
    return it == pins->end() ? 0 : it->second;  // the parser refuses unpinned keys
  }
  static std::uint64_t real(const K& k, std::uint64_t seed) noexcept { return Hasher<K>{}(k, seed); }

  // The tiny hash's grouping: fixed functions of the key, independent of
  // the map's default hasher, so that a `hashing tiny` trace (every
  // regression file of the tiny-hash targets) lays out the same way after
  // that hasher changes. They are the default hashers of the version the
  // first such files were recorded with, at seed 0.
  static std::uint64_t group(const K& k) noexcept {
    if constexpr (T == trace::KeyType::kString) {
      return stable_bytes_hash(k.data(), k.size());
    } else if constexpr (T == trace::KeyType::kDouble) {
      const double d = k == 0 ? 0.0 : k;  // -0 and +0 are one key
      return hashing::hash_u64(std::bit_cast<std::uint64_t>(d), 0);
    } else if constexpr (T == trace::KeyType::kCounted) {
      return hashing::hash_u64(k.id(), 0);
    } else {
      return hashing::hash_u64(k, 0);
    }
  }
  static std::uint64_t stable_bytes_hash(const char* data, std::size_t len) noexcept {
    using hashing::kP0, hashing::kP1, hashing::kP2, hashing::load64, hashing::mum;
    const auto* p = reinterpret_cast<const unsigned char*>(data);
    std::uint64_t h = mum(len ^ kP0, kP1);
    std::size_t i = 0;
    for (; i + 16 <= len; i += 16) h = mum(load64(p + i) ^ kP1, load64(p + i + 8) ^ h);
    if (i + 8 <= len) {
      h = mum(load64(p + i) ^ kP2, h ^ kP0);
      i += 8;
    }
    std::uint64_t tail = 0;  // the last len - i < 8 bytes, little-endian
    for (std::size_t j = 0; i + j < len; ++j) tail |= std::uint64_t{p[i + j]} << (8 * j);
    return mum(mum(tail ^ kP1, h ^ kP2), len ^ kP0);
  }
};

}  // namespace tophash::reference
