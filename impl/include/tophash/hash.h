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

// Two rounds: the hash of floating-point keys, and of everything the
// harness derives from a number (NaN hashes, tiny-hash groups, seeds).
inline std::uint64_t hash_u64(std::uint64_t key, std::uint64_t seed) noexcept {
  return mum(mum(key ^ kP0, seed ^ kP1), key ^ kP2);
}

// One round: the hash of integer keys. A single 64x64->128 multiply by an
// odd constant, folded, already carries every key bit into the top byte
// (the tophash) and the low bits (the bucket), and a lookup that hits in
// cache spends a fifth of its time hashing, so the second round is left
// out here.
// On structured keys (0..n, i<<40, i*4096, i<<56|i; 200k keys, 4 seeds)
// it leaves no more overflow buckets than hash_u64 does, and far fewer for
// keys that differ only in high bits.
inline std::uint64_t mix_u64(std::uint64_t key, std::uint64_t seed) noexcept {
  return mum(key ^ seed ^ kP0, kP1);
}

inline std::uint64_t load64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t load32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Bytes to 64 bits. Every length is read with fixed-size loads and no
// byte loop: up to 16 bytes as two words assembled from loads that may
// overlap (so each byte lands in a or b), longer inputs as their first and
// last 16 bytes (overlapping), after 16-byte rounds while more than 32
// remain. Up to 32 bytes the two halves are mixed side by side, so the
// dependent chain is two multiplies long. The seed is used as given: the
// map's seed is already a random 64-bit draw.
inline std::uint64_t hash_bytes(const void* data, std::size_t len,
                                std::uint64_t seed) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = seed ^ kP0;
  if (len <= 16) {
    std::uint64_t a = 0, b = 0;
    if (len >= 4) {
      // 4..16 bytes: two 4-byte loads from each end, stepping in by 4
      // when there are 8 or more.
      const std::size_t step = (len >> 3) << 2;
      a = load32(p) << 32 | load32(p + step);
      b = load32(p + len - 4) << 32 | load32(p + len - 4 - step);
    } else if (len > 0) {
      a = std::uint64_t{p[0]} << 16 | std::uint64_t{p[len >> 1]} << 8 | p[len - 1];
    }
    return mum(mum(a ^ kP1, b ^ h) ^ kP2, len ^ kP0);
  }
  std::size_t i = len;
  for (; i > 32; i -= 16, p += 16) h = mum(load64(p) ^ kP1, load64(p + 8) ^ h);
  const std::uint64_t x = mum(load64(p) ^ kP1, load64(p + 8) ^ h);
  const std::uint64_t y = mum(load64(p + i - 16) ^ kP2, load64(p + i - 8) ^ h ^ len);
  return mum(x ^ kP2, y ^ kP0);
}

// Byte equality of two strings, for the lengths a map key usually has:
// up to 32 bytes are compared as 8-byte words (overlapping at the end)
// instead of through a call to memcmp.
inline bool bytes_equal(const char* x, const char* y, std::size_t len) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(x);
  const auto* q = reinterpret_cast<const unsigned char*>(y);
  if (len < 8) {
    if (len >= 4) return (load32(p) ^ load32(q)) == 0 && (load32(p + len - 4) ^ load32(q + len - 4)) == 0;
    for (std::size_t i = 0; i < len; ++i) {
      if (p[i] != q[i]) return false;
    }
    return true;
  }
  if (len <= 16) return ((load64(p) ^ load64(q)) | (load64(p + len - 8) ^ load64(q + len - 8))) == 0;
  if (len <= 32) {
    return ((load64(p) ^ load64(q)) | (load64(p + 8) ^ load64(q + 8)) | (load64(p + len - 16) ^ load64(q + len - 16)) |
            (load64(p + len - 8) ^ load64(q + len - 8))) == 0;
  }
  return std::memcmp(p, q, len) == 0;
}

}  // namespace hashing

// Hasher<K>: hash(key, seed) -> 64 bits. Specialise it for your own key
// types, or pass a Hash parameter to BucketMap.
template <class K, class = void>
struct Hasher;

template <class K>
struct Hasher<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  std::uint64_t operator()(K key, std::uint64_t seed) const noexcept {
    return hashing::mix_u64(static_cast<std::uint64_t>(key), seed);
  }
};

// Go's f64hash: +0 and -0 hash alike (they are equal keys). NaN gets a
// hash here too, but BucketMap never uses it: for a key that is not equal
// to itself the map draws a random hash, as Go does (see bucket_map.h).
// A Hash may shape that hash with a member
//   std::uint64_t unequal_key_hash(std::uint64_t random, std::uint64_t seed) const noexcept;
// given the draw; a harness that replays Go's own NaN hashes uses it.
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
