// tophash/layout.h: a snapshot of a BucketMap's bucket layout and its
// canonical dump (trace/trace-format.md, "Layout dump").
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tophash/debug.h"

namespace tophash {

template <class K>
struct BucketImage {
  std::array<std::uint8_t, internal::kBucketCnt> tophash{};
  std::array<std::optional<K>, internal::kBucketCnt> keys{};  // set where tophash is filled
};

template <class K>
struct Layout {
  unsigned B = 0;
  std::size_t count = 0, noverflow = 0, nevacuate = 0;
  bool growing = false, samesize = false;
  std::vector<std::vector<BucketImage<K>>> new_chains;  // one chain per bucket
  std::vector<std::vector<BucketImage<K>>> old_chains;  // while growing
};

// Keys as the dump prints them, and as traces write them: integers in
// decimal; the extensions of trace/trace-format.md:
// floating point in the shortest form that reads back (nan, -nan, -0,
// 1.5e+300), strings in double quotes with \" \\ and \xHH for bytes
// outside printable ASCII and for space, so a key is always one token.
template <class K>
std::string format_key(const K& k) {
  if constexpr (std::is_integral_v<K>) {
    return std::to_string(k);
  } else if constexpr (std::is_floating_point_v<K>) {
    if (k != k) return std::signbit(k) ? "-nan" : "nan";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, k);
    return std::string(buf, r.ptr);
  } else if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : std::string_view(k)) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  } else {
    return to_string(k);  // found by ADL for user types
  }
}

template <class M>
auto layout_of(const M& m) {
  using K = typename M::key_type;
  using A = debug::BucketMapAccess;
  Layout<K> out;
  out.B = A::B(m);
  out.count = A::count(m);
  out.noverflow = A::noverflow(m);
  out.nevacuate = A::nevacuate(m);
  out.growing = A::growing(m);
  out.samesize = A::same_size(m);
  auto chains = [](const auto* arr, std::size_t n) {
    std::vector<std::vector<BucketImage<K>>> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (arr == nullptr) {
        v[i].emplace_back();  // not allocated yet: all empty
        continue;
      }
      for (auto* b = arr->bucket(i); b != nullptr; b = b->overflow) {
        BucketImage<K> img;
        for (std::size_t s = 0; s < internal::kBucketCnt; ++s) {
          img.tophash[s] = b->tophash[s];
          if (internal::is_filled(b->tophash[s])) img.keys[s] = *b->key(s);
        }
        v[i].push_back(std::move(img));
      }
    }
    return v;
  };
  out.new_chains = chains(A::buckets(m), std::size_t{1} << out.B);
  if (out.growing) out.old_chains = chains(A::oldbuckets(m), A::noldbuckets(m));
  return out;
}

// Where an iterator stands (for layout viewers): the bucket and slot of
// the entry it yielded last, in the array it walks. `array` says which:
// the map's current array, its old array (while growing), or neither (an
// array only the iterator still holds, after a rebuild or a growth that
// ended); `bucket` indexes that array and `chain` counts overflow links
// from it.
struct IterView {
  enum class Array : std::uint8_t { kNone, kNew, kOld, kHeld };
  bool walking = false;  // initialised and not at its end
  std::uint64_t start_bucket = 0;
  unsigned offset = 0, B = 0;
  bool wrapped = false;
  Array array = Array::kNone;
  std::size_t bucket = 0, chain = 0, slot = 0;
};

template <class M>
IterView iter_view(const M& m, const typename M::Iter& it) {
  using A = debug::BucketMapAccess;
  IterView v;
  v.walking = A::iter_walking(it) && it.current_bucket() != nullptr;
  if (!v.walking) return v;
  v.start_bucket = it.start_bucket();
  v.offset = it.offset();
  v.B = A::iter_B(it);
  v.wrapped = it.wrapped();
  const auto* owner = A::iter_owner(it);
  std::size_t n = std::size_t{1} << v.B;  // an array only the iterator holds has its B
  v.array = IterView::Array::kHeld;
  if (owner == A::buckets(m)) {
    v.array = IterView::Array::kNew;
    n = std::size_t{1} << A::B(m);
  } else if (A::growing(m) && owner == A::oldbuckets(m)) {
    v.array = IterView::Array::kOld;
    n = A::noldbuckets(m);
  }
  const std::size_t current = (it.next_bucket() + (std::size_t{1} << v.B) - 1) & ((std::size_t{1} << v.B) - 1);
  v.bucket = current & (n - 1);
  for (auto* b = owner->bucket(v.bucket); b != nullptr && b != it.current_bucket(); b = b->overflow) ++v.chain;
  v.slot = (it.bucket_steps() + internal::kBucketCnt - 1 + v.offset) & (internal::kBucketCnt - 1);
  return v;
}

template <class K>
std::string dump(const Layout<K>& l) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "dump B=" + std::to_string(l.B) + " count=" + std::to_string(l.count) +
                  " noverflow=" + std::to_string(l.noverflow) + " nevacuate=" + std::to_string(l.nevacuate) +
                  " growing=" + (l.growing ? "1" : "0") + " samesize=" + (l.samesize ? "1" : "0") + "\n";
  auto chain = [&](const char* tag, std::size_t i, const std::vector<BucketImage<K>>& c) {
    s += tag;
    s += ' ';
    s += std::to_string(i);
    s += ':';
    for (std::size_t j = 0; j < c.size(); ++j) {
      if (j != 0) s += " ->";
      for (std::uint8_t t : c[j].tophash) {
        s += ' ';
        s += kHex[t >> 4];
        s += kHex[t & 15];
      }
      s += " |";
      for (const auto& k : c[j].keys) {
        s += ' ';
        s += k ? format_key(*k) : std::string(".");
      }
    }
    s += '\n';
  };
  for (std::size_t i = 0; i < l.new_chains.size(); ++i) chain("new", i, l.new_chains[i]);
  for (std::size_t i = 0; i < l.old_chains.size(); ++i) chain("old", i, l.old_chains[i]);
  s += "end\n";
  return s;
}

template <class M>
std::string dump_layout(const M& m) {
  return dump(layout_of(m));
}

}  // namespace tophash
