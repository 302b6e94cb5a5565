// tophash/hash.h: the seeded hashers BucketMap uses by default, and the key
// traits that carry Go's per-type rules (reflexive keys, key update on
// overwrite).
//
// A hasher is called as `hash(key, seed)` and returns 64 bits, as Go's
// `t.hasher(key, h.hash0)` does. The default hashers depend on nothing but
// the key and the seed: no per-process salt, no addresses. That is what
// makes a fuzz input or a property seed replay the same way next year.
// (absl::Hash mixes in a per-process value, so it is not used here.)
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace tophash {

namespace hashing {

// 64x64 -> 128 multiply folded to 64 bits: the mixing step of the wyhash
// family. Every input bit reaches the top byte, which matters here because
// the top byte of the hash is the tophash.
inline std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline constexpr std::uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr std::uint64_t kP1 = 0xe7037ed1a0b428dbull;
inline constexpr std::uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

inline std::uint64_t hash_u64(std::uint64_t key, std::uint64_t seed) noexcept {
  return mum(mum(key ^ kP0, seed ^ kP1), key ^ kP2);
}

inline std::uint64_t load64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t hash_bytes(const void* data, std::size_t len,
                                std::uint64_t seed) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = seed ^ mum(len ^ kP0, kP1);
  std::size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    h = mum(load64(p + i) ^ kP1, load64(p + i + 8) ^ h);
  }
  if (i + 8 <= len) {
    h = mum(load64(p + i) ^ kP2, h ^ kP0);
    i += 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p + i, len - i);
  return mum(mum(tail ^ kP1, h ^ kP2), len ^ kP0);
}

}  // namespace hashing

// Hasher<K>: hash(key, seed) -> 64 bits. Specialise it for your own key
// types, or pass a Hash parameter to BucketMap.
template <class K, class = void>
struct Hasher;

template <class K>
struct Hasher<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  std::uint64_t operator()(K key, std::uint64_t seed) const noexcept {
    return hashing::hash_u64(static_cast<std::uint64_t>(key), seed);
  }
};

// Go's f64hash: +0 and -0 hash alike (they are equal keys). NaN gets a
// hash here too, but BucketMap never uses it: for a key that is not equal
// to itself the map draws a random hash, as Go does (see bucket_map.h).
template <class K>
struct Hasher<K, std::enable_if_t<std::is_floating_point_v<K>>> {
  std::uint64_t operator()(K key, std::uint64_t seed) const noexcept {
    if (key == 0) key = 0;  // -0 -> +0
    double d = static_cast<double>(key);
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return hashing::hash_u64(bits, seed);
  }
};

template <>
struct Hasher<std::string_view> {
  std::uint64_t operator()(std::string_view s, std::uint64_t seed) const noexcept {
    return hashing::hash_bytes(s.data(), s.size(), seed);
  }
};

template <>
struct Hasher<std::string> {
  std::uint64_t operator()(const std::string& s, std::uint64_t seed) const noexcept {
    return hashing::hash_bytes(s.data(), s.size(), seed);
  }
};

// Go's t.reflexivekey(): false when some key may be unequal to itself
// (floating point NaN). Such keys are the only ones for which the map asks
// `eq(k, k)`, and the only ones whose hash is random.
template <class K>
struct is_reflexive_key : std::bool_constant<!std::is_floating_point_v<K>> {};

// Go's t.needkeyupdate(): overwriting an existing key also overwrites the
// stored key, because equal keys can differ (+0 and -0).
template <class K>
struct needs_key_update : std::bool_constant<std::is_floating_point_v<K>> {};

}  // namespace tophash
