// reference/faults_run.h: runs a byte program on a FaultMap (faults.h) in
// lockstep with a model, injecting the faults the program asks for, and
// checks after every operation, failed or not:
//   - the structural invariants (invariants.h, the whole table);
//   - the map holds exactly the model's entries, each with its value: an
//     operation that threw changed nothing where the map promises all or
//     nothing (insert, emplace, operator[], erase, reserve, shrink_to_fit,
//     copy), and for erase_if, which promises only that, every entry it
//     removed was one its predicate chose (the model then follows the map);
//   - no Counted key or value was destroyed twice or used dead;
//   - open iterators keep Go's contract: every key present from their start
//     to their end is yielded, and (outside the windows where Go itself
//     repeats or resurrects entries: a clear, a reseed, a same-size growth)
//     nothing is yielded twice and nothing that is not in the map, with the
//     map's current value;
// and at the end, once the map is gone, that every key, value and byte it
// held was given back. The program's format (every byte read past the end
// is 0):
//   byte 0      hash shape (HashShape, mod 3), byte 1 the map's seed
//   then ops    an op byte (mod 16) and its operands, see FaultRun::op
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory_resource>
#include <optional>
#include <set>
#include <string>

#include "check.h"
#include "faults.h"
#include "invariants.h"

namespace tophash::reference::faults {

struct FaultStats {
  std::size_t ops = 0;
  std::size_t armed = 0;  // ops run with a fault armed
  std::size_t fired = 0;  // ops a fault made throw
};

class FaultRun {
 public:
  FaultRun(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  FaultRun(const FaultRun&) = delete;
  FaultRun& operator=(const FaultRun&) = delete;

  // The first failed check, as "check: detail (op N)", or nothing.
  std::optional<std::string> run() {
    std::pmr::memory_resource* const prev = std::pmr::set_default_resource(&res_);
    std::optional<std::string> failure;
    try {
      program();
    } catch (const CheckFailure& f) {
      failure = f.check + ": " + f.detail + " (op " + std::to_string(stats_.ops) + ")";
    }
    Plan::get().disarm();
    for (auto& o : iters_) o.it.reset();
    map_.reset();
    std::pmr::set_default_resource(prev);
    if (!failure) failure = leaks();
    return failure;
  }
  const FaultStats& stats() const { return stats_; }

 private:
  using Iter = FaultMap::Iter;
  using A = debug::BucketMapAccess;
  struct Open {
    std::optional<Iter> it;
    std::set<std::uint64_t> yielded, required;
    std::set<std::uint64_t> renewed;  // deleted since the start: if added again, a new entry
    bool lenient = false;  // a clear, reseed or same-size growth since the start
  };
  static constexpr std::size_t kIters = 3;
  static constexpr std::size_t kMaxOps = 4096;

  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }

  void program() {
    KeyCount::reset();
    ValueCount::reset();
    Plan::get().disarm();
    FaultHash h;
    h.shape = static_cast<HashShape>(byte() % 3);
    map_.emplace(0, std::uint64_t{byte()}, h, FaultEq(), FaultAlloc(&res_));
    static const bool verbose = std::getenv("TOPHASH_FAULTS_VERBOSE") != nullptr;
    while (pos_ < size_ && stats_.ops < kMaxOps) {
      ++stats_.ops;
      const std::size_t at = pos_, fired = stats_.fired;
      op(byte());
      if (verbose) std::fprintf(stderr, "op %zu: code %u%s, size %zu, B %u%s\n", stats_.ops, data_[at] % 16u,
                                stats_.fired != fired ? " (faulted)" : "", map_->size(), unsigned(A::B(*map_)),
                                A::growing(*map_) ? " growing" : "");
      after_op();
    }
    for (auto& o : iters_) drain(o);
  }

  // One op. k: a key id byte; v: a value id byte.
  //   0 insert_or_assign k v   1 try_emplace k v    2 operator[] k
  //   3 erase k                4 erase_if (id % (m%7+1) == r)
  //   5 clear                  6 reserve n*4        7 shrink_to_fit
  //   8 copy (construct and assign, then compare)   9 move and swap
  //   10 open iterator j       11 step iterator j n times
  //   12 arm: site s (mod 6) fails at its (n%48+1)th call in the next op
  //   13 insert keys k .. k+n%64 in turn (value: the key's + v)
  //   14 get k                 15 close iterator j
  void op(std::uint8_t code) {
    // Iteration is noexcept and calls Hash and KeyEqual (bucket_map.h,
    // "Exception safety"): a fault waits for the next op that may throw.
    const bool iterates = code % 16 == 10 || code % 16 == 11 || code % 16 == 15;
    if (code % 16 != 12 && !iterates && pending_) {
      Plan::get().arm(pending_->first, pending_->second);
      pending_.reset();
    }
    switch (code % 16) {
      case 0: case 1: case 2: {
        const std::uint64_t k = byte(), v = byte();
        put(code % 16, k, v);
        break;
      }
      case 3: erase(byte()); break;
      case 4: { const std::uint8_t m = byte(); erase_if(m % 7 + 1, byte()); break; }
      case 5: clear(); break;
      case 6: rebuild(std::size_t{byte()} * 4); break;
      case 7: rebuild(std::nullopt); break;
      case 8: copy(); break;
      case 9: move(); break;
      case 10: open(iters_[byte() % kIters]); break;
      case 11: { Open& o = iters_[byte() % kIters]; steps(o, byte() % 32 + 1); break; }
      case 12: { const std::uint8_t s = byte(); arm(static_cast<Site>(s % kSites), byte() % 48 + 1); break; }
      case 13: { const std::uint64_t k = byte(), n = byte() % 64, v = byte(); bulk(k, n, v); break; }
      case 14: get(byte()); break;
      default: iters_[byte() % kIters].it.reset(); break;
    }
    Plan::get().disarm();
  }

  // Armed for the next op only (the checks between ops never fault).
  void arm(Site s, std::uint32_t nth) {
    pending_.emplace(s, nth);
    ++stats_.armed;
  }
  // Runs f; true when an injected fault made it throw (any other exception
  // is a failure: the map made one up).
  template <class F>
  bool faulted(const char* what, F&& f) {
    try {
      f();
    } catch (const std::bad_alloc&) {
      return noted(what);
    } catch (const InjectedFault&) {
      return noted(what);
    }
    Plan::get().disarm();
    return false;
  }
  bool noted(const char* what) {
    if (!Plan::get().fired()) fail_with("faults: exception", what, " threw with no fault injected");
    Plan::get().disarm();
    ++stats_.fired;
    return true;
  }

  void put(int kind, std::uint64_t k, std::uint64_t v) {
    const bool present = model_.count(k) != 0;
    std::pair<FaultValue*, bool> r{};
    const char* names[] = {"insert_or_assign", "try_emplace", "operator[]"};
    const FaultKey key(k);
    const FaultValue value(v);
    if (faulted(names[kind], [&] {
          if (kind == 0) r = map_->insert_or_assign(key, value);
          if (kind == 1) r = map_->try_emplace(key, value);
          if (kind == 2) r = {&(*map_)[key], !present};
        })) {
      return;  // all or nothing: after_op compares with the unchanged model
    }
    if (r.second == present) fail_with("faults: put", names[kind], " of key ", k, " said added=", r.second);
    if (kind == 0 || !present) model_[k] = kind == 2 ? 0 : v;
  }

  void bulk(std::uint64_t k, std::uint64_t n, std::uint64_t v) {
    for (std::uint64_t i = 0; i <= n; ++i) {
      bool added = false;
      const FaultKey key(k + i);
      const FaultValue value(k + i + v);
      if (faulted("insert_or_assign", [&] { added = map_->insert_or_assign(key, value).second; })) {
        return;
      }
      if (added == (model_.count(k + i) != 0)) fail_with("faults: put", "insert of key ", k + i, " said added=", added);
      model_[k + i] = k + i + v;
    }
  }

  void erase(std::uint64_t k) {
    std::size_t n = 0;
    if (faulted("erase", [&] { n = map_->erase(FaultKey(k)); })) return;
    if (n != model_.erase(k)) fail_with("faults: erase", "erase of key ", k, " returned ", n);
    removed(k);
  }

  void erase_if(std::uint64_t m, std::uint64_t r) {
    auto chosen = [m, r](std::uint64_t id) { return id % m == r % m; };
    std::size_t n = 0;
    const bool threw = faulted("erase_if", [&] {
      n = map_->erase_if([&](const FaultKey& key, FaultValue&) {
        Plan::get().hit(Site::kPred);
        return chosen(key.id());
      });
    });
    std::size_t gone = 0;
    for (auto it = model_.begin(); it != model_.end();) {
      const bool kept = map_->get(FaultKey(it->first)) != nullptr;
      if (!kept && !chosen(it->first)) fail_with("faults: erase_if", "removed key ", it->first, " its predicate kept");
      if (kept && chosen(it->first) && !threw) fail_with("faults: erase_if", "kept key ", it->first);
      if (kept) {
        ++it;
        continue;
      }
      const std::uint64_t k = it->first;
      it = model_.erase(it);
      removed(k);
      ++gone;
    }
    if (!threw && gone != n) fail_with("faults: erase_if", "returned ", n, " but removed ", gone);
  }

  void clear() {
    map_->clear();
    model_.clear();
    for (auto& o : iters_) {
      o.lenient = true;
      o.required.clear();
    }
  }

  // reserve(n), or shrink_to_fit: all or nothing, contents unchanged.
  void rebuild(std::optional<std::size_t> n) {
    faulted(n ? "reserve" : "shrink_to_fit", [&] { n ? map_->reserve(*n) : map_->shrink_to_fit(); });
  }

  // A copy that throws leaves the source as it was and leaks nothing (the
  // end's resource count); one that succeeds is equal and consistent.
  void copy() {
    std::optional<FaultMap> c, d;
    bool assigned = false;
    faulted("copy", [&] {
      c.emplace(*map_);
      d.emplace(0, 7, map_->hash_function(), map_->key_eq(), FaultAlloc(&res_));
      d->insert_or_assign(FaultKey(1000), FaultValue(1));
      *d = *c;
      assigned = true;
    });
    if (c) same_entries(*c, "copy");
    if (assigned) same_entries(*d, "copy assignment");
    // A failed assignment leaves the target as it was.
    if (d && !assigned && d->size() == 1 && d->get(FaultKey(1000)) == nullptr) {
      fail_with("faults: copy assignment", "a failed assignment changed its target");
    }
  }

  // Moving ends the map's iterators (bucket_map.h): they are closed first.
  void move() {
    for (auto& o : iters_) o.it.reset();
    FaultMap t(std::move(*map_));
    if (!map_->empty()) fail_with("faults: move", "moved-from map holds ", map_->size(), " entries");
    map_->swap(t);
    t = std::move(*map_);
    *map_ = std::move(t);
  }

  void get(std::uint64_t k) {
    const FaultValue* v = nullptr;
    if (faulted("get", [&] { v = map_->get(FaultKey(k)); })) return;
    const auto it = model_.find(k);
    if ((v != nullptr) != (it != model_.end()) || (v != nullptr && v->id() != it->second)) {
      fail_with("faults: get", "key ", k, " disagrees with the model");
    }
  }

  void removed(std::uint64_t k) {
    for (auto& o : iters_) {
      o.required.erase(k);
      o.renewed.insert(k);
    }
    if (model_.empty()) {
      for (auto& o : iters_) o.lenient = true;  // reseeded
    }
  }

  void open(Open& o) {
    o = Open();
    for (const auto& [k, v] : model_) o.required.insert(k);
    o.it.emplace(map_->iterate());  // mapiterinit: stands on its first entry
    observe(o);
  }

  void steps(Open& o, std::size_t n) {
    for (std::size_t i = 0; i < n && o.it; ++i) step(o);
  }
  void drain(Open& o) {
    for (std::size_t i = 0; o.it; ++i) {
      if (i > (std::size_t{1} << 20)) fail_with("faults: iterator", "does not end");
      step(o);
    }
  }
  void step(Open& o) {
    o.it->next();
    observe(o);
  }
  void observe(Open& o) {
    if (o.it->done()) {
      for (std::uint64_t k : o.required) {
        if (o.yielded.count(k) == 0) fail_with("faults: iterator", "ended without yielding key ", k);
      }
      o.it.reset();
      return;
    }
    const std::uint64_t k = o.it->key().id();
    if (!o.lenient) {
      const auto it = model_.find(k);
      if (it == model_.end()) fail_with("faults: iterator", "yielded key ", k, " which is not in the map");
      if (o.it->value().id() != it->second) fail_with("faults: iterator", "yielded key ", k, " with a stale value");
      if (o.yielded.count(k) != 0 && o.renewed.count(k) == 0) fail_with("faults: iterator", "yielded key ", k, " twice");
    }
    o.yielded.insert(k);
  }

  void after_op() {
    if (A::same_size(*map_)) {
      for (auto& o : iters_) o.lenient = true;
    }
    InvariantChecker<FaultMap>(*map_).check_all();
    same_entries(*map_, "map");
    if (const char* e = KeyCount::stats().error) fail_with("faults: counted key", e);
    if (const char* e = ValueCount::stats().error) fail_with("faults: counted value", e);
  }

  void same_entries(const FaultMap& m, const char* which) {
    if (m.size() != model_.size()) fail_with("faults: entries", which, " holds ", m.size(), " entries, the model ", model_.size());
    for (const auto& [k, v] : model_) {
      const FaultValue* got = m.get(FaultKey(k));
      if (got == nullptr) fail_with("faults: entries", which, " lost key ", k);
      if (got->id() != v) fail_with("faults: entries", which, " has key ", k, " with value ", got->id(), " not ", v);
    }
  }

  std::optional<std::string> leaks() const {
    const auto& ks = KeyCount::stats();
    const auto& vs = ValueCount::stats();
    if (ks.live != 0 || vs.live != 0) {
      return "faults: leak: " + std::to_string(ks.live) + " keys and " + std::to_string(vs.live) +
             " values outlive the map";
    }
    if (res_.live_blocks() != 0) {
      return "faults: leak: " + std::to_string(res_.live_blocks()) + " blocks (" + std::to_string(res_.live_bytes()) +
             " bytes) never given back";
    }
    return std::nullopt;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  FailingResource res_;
  std::optional<FaultMap> map_;
  std::map<std::uint64_t, std::uint64_t> model_;
  Open iters_[kIters];
  FaultStats stats_;
  std::optional<std::pair<Site, std::uint32_t>> pending_;
};

}  // namespace tophash::reference::faults
