// reference/probe.h: the map's operations as the executor calls them, each
// in a function of its own that is never inlined. The executor's own
// functions (namespace tophash::reference) carry no coverage
// instrumentation in the fuzz build; these, outside that namespace, keep
// it, so the fuzzer learns from exactly the map's code.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

#include "tophash/bucket_map.h"

namespace tophash::probe {

template <class Map>
[[gnu::noinline]] auto map_put(Map& m, const typename Map::key_type& k, typename Map::mapped_type v) {
  return m.insert_or_assign(k, std::move(v));
}
template <class Map>
[[gnu::noinline]] std::size_t map_erase(Map& m, const typename Map::key_type& k) {
  return m.erase(k);
}
template <class Map>
[[gnu::noinline]] const typename Map::mapped_type* map_get(Map& m, const typename Map::key_type& k) {
  return m.get(k);
}
template <class Map>
[[gnu::noinline]] void map_clear(Map& m) {
  m.clear();
}
template <class Map>
[[gnu::noinline]] void map_reserve(Map& m, std::size_t n) {
  m.reserve(n);
}
template <class Map>
[[gnu::noinline]] void map_shrink(Map& m) {
  m.shrink_to_fit();
}
// The C++ API beyond Go's map.
template <class Map>
[[gnu::noinline]] auto map_try_emplace(Map& m, const typename Map::key_type& k, typename Map::mapped_type v) {
  return m.try_emplace(k, std::move(v));
}
template <class Map>
[[gnu::noinline]] typename Map::mapped_type& map_index(Map& m, const typename Map::key_type& k) {
  return m[k];
}
// at: null when it throws std::out_of_range.
template <class Map>
[[gnu::noinline]] const typename Map::mapped_type* map_at(Map& m, const typename Map::key_type& k) {
  try {
    return &m.at(k);
  } catch (const std::out_of_range&) {
    return nullptr;
  }
}
template <class Map>
[[gnu::noinline]] auto map_find(Map& m, const typename Map::key_type& k) {
  return m.find(k);
}
template <class Map>
[[gnu::noinline]] std::size_t map_count(const Map& m, const typename Map::key_type& k) {
  return m.count(k);
}
template <class Map>
[[gnu::noinline]] bool map_contains(const Map& m, const typename Map::key_type& k) {
  return m.contains(k);
}
template <class Map, class Pred>
[[gnu::noinline]] std::size_t map_erase_if(Map& m, Pred pred) {
  return m.erase_if(pred);
}
// dst = src (a copy), constructed when dst holds no map.
template <class Map>
[[gnu::noinline]] void map_copy(std::optional<Map>& dst, const Map& src) {
  if (dst) {
    *dst = src;
  } else {
    dst.emplace(src);
  }
}
template <class Map>
[[gnu::noinline]] void map_move(std::optional<Map>& dst, Map& src) {
  if (dst) {
    *dst = std::move(src);
  } else {
    dst.emplace(std::move(src));
  }
}
template <class Map>
[[gnu::noinline]] void map_swap(Map& a, Map& b) {
  a.swap(b);
}
template <class Map>
[[gnu::noinline]] void iter_start(std::optional<typename Map::Iter>& it, Map& m, IterStart s) {
  it.emplace(m.iterate(s));
}
template <class Iter>
[[gnu::noinline]] bool iter_next(Iter& it) {
  return it.next();
}

}  // namespace tophash::probe
