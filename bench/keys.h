// bench/keys.h: the keys every implementation sees. bench/go/main.go
// generates the same sequences, so the C++ maps and the Go map are given
// the same keys in the same order.
//
//   u64 keys      splitmix64 from kKeySeed, one value per key
//   miss keys     splitmix64 from kMissSeed (absent from the map)
//   fresh keys    splitmix64 from kFreshSeed (churn inserts these)
//   lookup order  Fisher-Yates over 0..n-1, j = splitmix64(kShuffleSeed) % (i+1)
//   string keys   from kStringSeed: r = next(); length 16 + r % 17; then
//                 next() 8 bytes at a time, low byte first, each byte
//                 mapped to 'a' + byte % 26
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bench {

inline constexpr std::uint64_t kKeySeed = 1;
inline constexpr std::uint64_t kMissSeed = 2;
inline constexpr std::uint64_t kFreshSeed = 3;
inline constexpr std::uint64_t kShuffleSeed = 4;
inline constexpr std::uint64_t kStringSeed = 5;

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline std::vector<std::uint64_t> u64_keys(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint64_t> keys(n);
  for (auto& k : keys) k = splitmix64(seed);
  return keys;
}

inline std::vector<std::string> string_keys(std::size_t n, std::uint64_t seed) {
  std::vector<std::string> keys(n);
  for (auto& k : keys) {
    const std::size_t len = 16 + splitmix64(seed) % 17;
    k.resize(len);
    for (std::size_t i = 0; i < len; i += 8) {
      std::uint64_t r = splitmix64(seed);
      for (std::size_t j = i; j < len && j < i + 8; ++j, r >>= 8) {
        k[j] = static_cast<char>('a' + (r & 0xff) % 26);
      }
    }
  }
  return keys;
}

// The order lookups and deletes visit the keys in: a permutation, so that
// no map profits from keys arriving in allocation order.
template <class T>
std::vector<T> shuffled(const std::vector<T>& keys) {
  std::vector<T> out = keys;
  std::uint64_t s = kShuffleSeed;
  for (std::size_t i = out.size(); i > 1; --i) {
    std::size_t j = splitmix64(s) % i;
    std::swap(out[i - 1], out[j]);
  }
  return out;
}

}  // namespace bench
