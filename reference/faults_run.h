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
//   - open iterators keep Go's contract, the iteration oracle's
//     (iter_oracle.h), with the growths, reseeds, clears and rebuilds the
//     operations made, failed or not;
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
#include <memory_resource>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "check.h"
#include "faults.h"
#include "invariants.h"
#include "iter_oracle.h"
#include "model.h"

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

  // Prints every op, its operands and what it did to stderr (the program
  // as text, for scripts/repro).
  void set_verbose(bool on) { verbose_ = on; }

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
  // An iterator and Go's contract for it (iter_oracle.h).
  struct Open {
    std::optional<Iter> it;
    IterOracle oracle;
  };
  // The table before an op: a put that leaves another array began a growth.
  struct Shape {
    const void* arr;
    unsigned B;
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
    const std::uint64_t seed = byte();
    map_.emplace(0, seed, h, FaultEq(), FaultAlloc(&res_));
    if (verbose_) std::fprintf(stderr, "faults program: hash shape %u, seed %llu\n", unsigned(h.shape), (unsigned long long)seed);
    while (pos_ < size_ && stats_.ops < kMaxOps) {
      ++stats_.ops;
      const std::size_t fired = stats_.fired;
      said_.clear();
      op(byte());
      if (verbose_) {
        std::fprintf(stderr, "op %zu: %s%s, size %zu, B %u%s\n", stats_.ops, said_.c_str(),
                     stats_.fired != fired ? " (threw)" : "", map_->size(), unsigned(A::B(*map_)),
                     A::growing(*map_) ? " growing" : "");
      }
      after_op();
    }
    for (auto& o : iters_) drain(o);
  }

  // The op and its operands, for verbose output.
  void say(const char* name, std::initializer_list<std::uint64_t> operands) {
    if (!verbose_) return;
    said_ = name;
    for (std::uint64_t x : operands) said_ += " " + std::to_string(x);
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
    const unsigned c = code % 16;
    // Iteration is noexcept and calls Hash and KeyEqual (bucket_map.h,
    // "Exception safety"): a fault waits for the next op that may throw.
    const bool iterates = c == 10 || c == 11 || c == 15;
    if (c != 12 && !iterates && pending_) {
      Plan::get().arm(pending_->first, pending_->second);
      pending_.reset();
    }
    if (c <= 9 || c == 13 || c == 14) {
      map_op(c);
    } else {
      iter_op(c);
    }
    Plan::get().disarm();
  }

  void map_op(unsigned c) {
    static const char* const kPuts[] = {"insert_or_assign", "try_emplace", "operator[]"};
    switch (c) {
      case 0: case 1: case 2: {
        const std::uint64_t k = byte(), v = byte();
        say(kPuts[c], {k, v});
        put(c, k, v);
        break;
      }
      case 3: { const std::uint64_t k = byte(); say("erase", {k}); erase(k); break; }
      case 4: {
        const std::uint64_t m = byte() % 7 + 1, r = byte();
        say("erase_if id % m == r % m, m r", {m, r});
        erase_if(m, r);
        break;
      }
      case 5: say("clear", {}); clear(); break;
      case 6: { const std::size_t n = std::size_t{byte()} * 4; say("reserve", {n}); rebuild(n); break; }
      case 7: say("shrink_to_fit", {}); rebuild(std::nullopt); break;
      case 8: say("copy", {}); copy(); break;
      case 9: say("move and swap", {}); move(); break;
      case 13: {
        const std::uint64_t k = byte(), n = byte() % 64, v = byte();
        say("insert keys k..k+n, value key+v: k n v", {k, n, v});
        bulk(k, n, v);
        break;
      }
      default: { const std::uint64_t k = byte(); say("get", {k}); get(k); break; }
    }
  }

  void iter_op(unsigned c) {
    switch (c) {
      case 10: { const std::size_t j = byte() % kIters; say("open iterator", {j}); open(iters_[j]); break; }
      case 11: {
        const std::size_t j = byte() % kIters, n = byte() % 32 + 1;
        say("step iterator j n times: j n", {j, n});
        steps(iters_[j], n);
        break;
      }
      case 12: {
        const Site s = static_cast<Site>(byte() % kSites);
        const std::uint32_t n = byte() % 48 + 1;
        say(site_name(s), {n});
        if (verbose_) said_ = "arm: the next op's call " + std::to_string(n) + " of " + said_ + " fails";
        arm(s, n);
        break;
      }
      default: { const std::size_t j = byte() % kIters; say("close iterator", {j}); close(iters_[j]); break; }
    }
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

  Shape shape() const { return Shape{A::buckets(*map_), A::B(*map_)}; }
  // After a put, failed or not: the growth it began (hashGrow), if any.
  void grew_since(Shape b) {
    if (b.arr == nullptr || A::buckets(*map_) == b.arr) return;
    for (auto& o : iters_) o.oracle.on_growth_start(A::B(*map_) == b.B);
  }
  // A put of a key the map holds or not; a put that threw changed nothing
  // (all or nothing: after_op compares with the unchanged model), though it
  // may have begun a growth.
  bool put_one(const char* name, unsigned kind, std::uint64_t k, std::uint64_t v) {
    const bool present = model_.get(k, false) != nullptr;
    std::pair<FaultValue*, bool> r{};
    const FaultKey key(k);
    const FaultValue value(v);
    const Shape b = shape();
    const bool threw = faulted(name, [&] {
      if (kind == 0) r = map_->insert_or_assign(key, value);
      if (kind == 1) r = map_->try_emplace(key, value);
      if (kind == 2) r = {&(*map_)[key], !present};
    });
    grew_since(b);
    if (threw) return false;
    if (r.second == present) fail_with("faults: put", name, " of key ", k, " said added=", r.second);
    if (kind == 0 || !present) model_.put(k, k, kind == 2 ? 0 : v, false);
    return true;
  }
  void put(unsigned kind, std::uint64_t k, std::uint64_t v) {
    static const char* const kNames[] = {"insert_or_assign", "try_emplace", "operator[]"};
    put_one(kNames[kind], kind, k, v);
  }
  void bulk(std::uint64_t k, std::uint64_t n, std::uint64_t v) {
    for (std::uint64_t i = 0; i <= n; ++i) {
      if (!put_one("insert_or_assign", 0, k + i, k + i + v)) return;
    }
  }

  void erase(std::uint64_t k) {
    std::size_t n = 0;
    if (faulted("erase", [&] { n = map_->erase(FaultKey(k)); })) return;
    if (n != model_.erase(k, false)) fail_with("faults: erase", "erase of key ", k, " returned ", n);
    if (n != 0) removed({k});
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
    std::vector<std::uint64_t> gone;
    for (const auto& [k, e] : model_.entries()) {
      const bool kept = map_->get(FaultKey(k)) != nullptr;
      if (!kept && !chosen(k)) fail_with("faults: erase_if", "removed key ", k, " its predicate kept");
      if (kept && chosen(k) && !threw) fail_with("faults: erase_if", "kept key ", k);
      if (!kept) gone.push_back(k);
    }
    if (!threw && gone.size() != n) fail_with("faults: erase_if", "returned ", n, " but removed ", gone.size());
    for (std::uint64_t k : gone) model_.erase(k, false);
    if (!gone.empty()) removed(gone);
  }

  // Deletes, as mapdelete does them: the last one to empty the map reseeds.
  void removed(const std::vector<std::uint64_t>& keys) {
    for (auto& o : iters_) {
      for (std::uint64_t k : keys) o.oracle.on_erase(k);
      if (model_.size() == 0) o.oracle.on_reseed();
    }
  }

  void clear() {
    // mapclear does nothing to an empty map: no reset, no reseed.
    if (model_.size() != 0) {
      for (auto& o : iters_) o.oracle.on_clear(model_, phase());
    }
    map_->clear();
    model_.clear();
  }

  // reserve(n), or shrink_to_fit: all or nothing, contents unchanged. A
  // rebuild that happened ends the growth path of open iterators.
  void rebuild(std::optional<std::size_t> n) {
    const Shape b = shape();
    faulted(n ? "reserve" : "shrink_to_fit", [&] { n ? map_->reserve(*n) : map_->shrink_to_fit(); });
    if (b.arr != nullptr && A::buckets(*map_) != b.arr) {
      for (auto& o : iters_) o.oracle.on_rebuild();
    }
  }

  // A copy that throws leaves the source as it was and leaks nothing (the
  // end's resource count); one that succeeds is equal and consistent.
  void copy() {
    std::optional<FaultMap> c, d;
    bool target = false, assigned = false;
    faulted("copy", [&] {
      c.emplace(*map_);
      d.emplace(0, 7, map_->hash_function(), map_->key_eq(), FaultAlloc(&res_));
      d->insert_or_assign(FaultKey(1000), FaultValue(1));
      target = true;
      *d = *c;
      assigned = true;
    });
    if (c) same_entries(*c, "copy");
    if (assigned) same_entries(*d, "copy assignment");
    // A failed assignment leaves the target as it was.
    if (target && !assigned && (d->size() != 1 || d->get(FaultKey(1000)) == nullptr)) {
      fail_with("faults: copy assignment", "a failed assignment changed its target");
    }
  }

  // Moving ends the map's iterators (bucket_map.h): they are closed first.
  void move() {
    for (auto& o : iters_) close(o);
    FaultMap t(std::move(*map_));
    if (!map_->empty()) fail_with("faults: move", "moved-from map holds ", map_->size(), " entries");
    map_->swap(t);
    t = std::move(*map_);
    *map_ = std::move(t);
  }

  void get(std::uint64_t k) {
    const FaultValue* v = nullptr;
    if (faulted("get", [&] { v = map_->get(FaultKey(k)); })) return;
    const ModelEntry* e = model_.get(k, false);
    if ((v != nullptr) != (e != nullptr) || (v != nullptr && v->id() != e->value)) {
      fail_with("faults: get", "key ", k, " disagrees with the model");
    }
  }

  MapPhase phase() const { return MapPhase{A::B(*map_), A::growing(*map_), A::same_size(*map_)}; }

  // mapiterinit: the iterator stands on its first entry at once.
  void open(Open& o) {
    close(o);
    o.it.emplace(map_->iterate());
    o.oracle.start(model_, phase());
    observe(o);
  }
  void close(Open& o) {
    o.it.reset();
    o.oracle.reset();
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
    o.oracle.on_step(phase());
    o.it->next();
    observe(o);
  }
  // What the iterator stands on now, against the oracle.
  void observe(Open& o) {
    if (o.it->done()) {
      if (!o.oracle.ended()) o.oracle.end(phase(), kFormat);
      o.it.reset();
      return;
    }
    const FaultKey& key = o.it->key();
    const std::uint64_t hash = o.oracle.wants_hash() ? A::hash(*map_, key) : 0;
    o.oracle.yield(key.id(), key.id(), o.it->value().id(), true, false, phase(), hash, model_, kFormat);
  }
  static inline const IterOracle::Format kFormat = [](std::uint64_t id) { return std::to_string(id); };

  void after_op() {
    InvariantChecker<FaultMap>(*map_).check_all();
    same_entries(*map_, "map");
    if (const char* e = KeyCount::stats().error) fail_with("faults: counted key", e);
    if (const char* e = ValueCount::stats().error) fail_with("faults: counted value", e);
  }

  void same_entries(const FaultMap& m, const char* which) {
    if (m.size() != model_.size()) fail_with("faults: entries", which, " holds ", m.size(), " entries, the model ", model_.size());
    for (const auto& [k, e] : model_.entries()) {
      const FaultValue* got = m.get(FaultKey(k));
      if (got == nullptr) fail_with("faults: entries", which, " lost key ", k);
      if (got->id() != e.value) fail_with("faults: entries", which, " has key ", k, " with value ", got->id(), " not ", e.value);
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
  bool verbose_ = false;
  std::string said_;
  FailingResource res_;
  std::optional<FaultMap> map_;
  Model model_;
  Open iters_[kIters];
  FaultStats stats_;
  std::optional<std::pair<Site, std::uint32_t>> pending_;
};

}  // namespace tophash::reference::faults
