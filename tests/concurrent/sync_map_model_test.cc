// Single-threaded differential: random programs run on SyncMap (and on
// LockedMap) and on a std::map model, result by result. RapidCheck draws
// the programs (seeded through RC_PARAMS by CTest, so a run reproduces)
// and shrinks a failure to a shortest program. Few keys and few values, so
// that keys are deleted and revived and compares succeed: that is where
// SyncMap's dirty map, promotions and expunged entries are exercised.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace {

enum Kind : std::uint8_t {
  kLoad, kStore, kLoadOrStore, kLoadAndDelete, kDelete, kSwap, kCompareAndSwap, kCompareAndDelete, kRange, kKinds
};

// (kind, key, value, other value)
using Command = std::tuple<std::uint8_t, std::uint8_t, std::uint8_t, std::uint8_t>;

rc::Gen<std::vector<Command>> programs() {
  return rc::gen::container<std::vector<Command>>(
      rc::gen::tuple(rc::gen::inRange<std::uint8_t>(0, kKinds), rc::gen::inRange<std::uint8_t>(0, 6),
                     rc::gen::inRange<std::uint8_t>(0, 4), rc::gen::inRange<std::uint8_t>(0, 4)));
}

template <class Map>
void run_against_model(const std::vector<Command>& program) {
  Map m;
  std::map<std::uint64_t, std::uint64_t> model;
  const auto model_get = [&](std::uint64_t k) -> std::optional<std::uint64_t> {
    auto it = model.find(k);
    if (it == model.end()) return std::nullopt;
    return it->second;
  };
  for (const auto& [kind, key8, v8, w8] : program) {
    const std::uint64_t k = key8, v = v8, w = w8;
    switch (kind) {
      case kLoad:
        RC_ASSERT(m.Load(k) == model_get(k));
        break;
      case kStore:
        m.Store(k, v);
        model[k] = v;
        break;
      case kLoadOrStore: {
        auto expected = model_get(k);
        auto got = m.LoadOrStore(k, v);
        RC_ASSERT(got.second == expected.has_value());
        RC_ASSERT(got.first == expected.value_or(v));
        model.emplace(k, v);
        break;
      }
      case kLoadAndDelete:
        RC_ASSERT(m.LoadAndDelete(k) == model_get(k));
        model.erase(k);
        break;
      case kDelete:
        m.Delete(k);
        model.erase(k);
        break;
      case kSwap:
        RC_ASSERT(m.Swap(k, v) == model_get(k));
        model[k] = v;
        break;
      case kCompareAndSwap: {
        const bool hit = model_get(k) == std::optional<std::uint64_t>(w);
        RC_ASSERT(m.CompareAndSwap(k, w, v) == hit);
        if (hit) model[k] = v;
        break;
      }
      case kCompareAndDelete: {
        const bool hit = model_get(k) == std::optional<std::uint64_t>(w);
        RC_ASSERT(m.CompareAndDelete(k, w) == hit);
        if (hit) model.erase(k);
        break;
      }
      default: {
        // One thread: Range sees exactly the map, once per key.
        std::map<std::uint64_t, std::uint64_t> seen;
        bool twice = false;
        m.Range([&](const std::uint64_t& key, const std::uint64_t& value) {
          twice = twice || !seen.emplace(key, value).second;
          return true;
        });
        RC_ASSERT(!twice);
        RC_ASSERT(seen == model);
        break;
      }
    }
  }
  for (std::uint64_t k = 0; k < 6; ++k) RC_ASSERT(m.Load(k) == model_get(k));
}

RC_GTEST_PROP(SyncMapModel, EveryResultMatchesTheModel, ()) {
  run_against_model<tophash::SyncMap<std::uint64_t, std::uint64_t>>(*programs());
}

RC_GTEST_PROP(LockedMapModel, EveryResultMatchesTheModel, ()) {
  run_against_model<tophash::LockedMap<std::uint64_t, std::uint64_t>>(*programs());
}

}  // namespace
