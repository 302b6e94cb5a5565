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
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace {

enum Kind : std::uint8_t {
  kLoad, kStore, kLoadOrStore, kLoadAndDelete, kDelete, kSwap, kCompareAndSwap, kCompareAndDelete, kRange, kKinds
};

struct Command {
  Kind kind;
  std::uint64_t key, value, other;  // `other`: the expected value of a compare
};

// How a failing program is shown after shrinking: one call per line.
void showValue(const Command& c, std::ostream& os) {
  static const char* const names[] = {"Load", "Store", "LoadOrStore", "LoadAndDelete", "Delete",
                                      "Swap", "CompareAndSwap", "CompareAndDelete", "Range"};
  os << "\n  " << names[c.kind] << "(";
  switch (c.kind) {
    case kStore: case kLoadOrStore: case kSwap: os << c.key << ", " << c.value; break;
    case kCompareAndSwap: os << c.key << ", " << c.other << ", " << c.value; break;
    case kCompareAndDelete: os << c.key << ", " << c.other; break;
    case kRange: break;
    default: os << c.key; break;
  }
  os << ")";
}

rc::Gen<std::vector<Command>> programs() {
  return rc::gen::container<std::vector<Command>>(rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<int>(0, kKinds), rc::gen::inRange<std::uint64_t>(0, 6),
                     rc::gen::inRange<std::uint64_t>(0, 4), rc::gen::inRange<std::uint64_t>(0, 4)),
      [](const std::tuple<int, std::uint64_t, std::uint64_t, std::uint64_t>& t) {
        return Command{static_cast<Kind>(std::get<0>(t)), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
      }));
}

// Results compared as text, so that a failure reads "3 == absent".
std::string str(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "absent"; }
std::string str(const std::pair<std::uint64_t, bool>& r) {
  return std::to_string(r.first) + (r.second ? " loaded" : " stored");
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
  for (const Command& c : program) {
    const std::uint64_t k = c.key, v = c.value, w = c.other;
    switch (c.kind) {
      case kLoad:
        RC_ASSERT(str(m.Load(k)) == str(model_get(k)));
        break;
      case kStore:
        m.Store(k, v);
        model[k] = v;
        break;
      case kLoadOrStore: {
        const auto expected = model_get(k);
        RC_ASSERT(str(m.LoadOrStore(k, v)) == str(std::make_pair(expected.value_or(v), expected.has_value())));
        model.emplace(k, v);
        break;
      }
      case kLoadAndDelete:
        RC_ASSERT(str(m.LoadAndDelete(k)) == str(model_get(k)));
        model.erase(k);
        break;
      case kDelete:
        m.Delete(k);
        model.erase(k);
        break;
      case kSwap:
        RC_ASSERT(str(m.Swap(k, v)) == str(model_get(k)));
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
  for (std::uint64_t k = 0; k < 6; ++k) RC_ASSERT(str(m.Load(k)) == str(model_get(k)));
}

RC_GTEST_PROP(SyncMapModel, EveryResultMatchesTheModel, ()) {
  run_against_model<tophash::SyncMap<std::uint64_t, std::uint64_t>>(*programs());
}

RC_GTEST_PROP(LockedMapModel, EveryResultMatchesTheModel, ()) {
  run_against_model<tophash::LockedMap<std::uint64_t, std::uint64_t>>(*programs());
}

}  // namespace
