// reference/probe.h: the map's operations as the executor calls them, each
// in a function of its own that is never inlined. The executor's own
// functions (namespace tophash::reference) carry no coverage
// instrumentation in the fuzz build; these, outside that namespace, keep
// it, so the fuzzer learns from exactly the map's code.
#pragma once

#include <cstddef>
#include <optional>
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
template <class Map>
[[gnu::noinline]] void iter_start(std::optional<typename Map::Iter>& it, Map& m, IterStart s) {
  it.emplace(m.iterate(s));
}
template <class Iter>
[[gnu::noinline]] bool iter_next(Iter& it) {
  return it.next();
}

}  // namespace tophash::probe
