// reference/faults.h: fault injection for BucketMap. What a C++ map meets
// and Go's never does: a failed allocation, and a key or value whose copy,
// hash or equality throws. A Plan (one per process: the harness runs one
// map at a time) makes the Nth call at a chosen site throw; the types here
// consult it:
//
//   FailingResource  a std::pmr::memory_resource: allocation N fails with
//                    std::bad_alloc; it counts live blocks and bytes, so a
//                    leak shows even where LSan cannot see one
//   FaultKey         a key (an id) whose copy throws InjectedFault
//   FaultValue       a value (an id) whose copy throws InjectedFault
//   FaultHash        a hash that throws, in one of three shapes (HashShape)
//   FaultEq          an equality that throws
//
// Keys and values are Counted (counted.h): a slot destroyed twice, read
// after its destruction or never destroyed is seen too. Moves never throw
// (BucketMap requires that). faults_run.h runs programs on such a map in
// lockstep with a model and checks each operation's exception guarantee.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory_resource>
#include <new>
#include <string>
#include <utility>

#include "counted.h"
#include "tophash/bucket_map.h"

namespace tophash::reference::faults {

// Where a fault can be injected.
enum class Site : std::uint8_t { kAlloc, kKeyCopy, kValueCopy, kHash, kEq, kPred };
inline constexpr std::size_t kSites = 6;
inline const char* site_name(Site s) {
  static constexpr const char* kNames[kSites] = {"allocation", "key copy", "value copy", "hash", "equality",
                                                 "predicate"};
  return kNames[static_cast<std::size_t>(s)];
}

// The exception a non-allocation fault throws.
struct InjectedFault : std::exception {
  const char* what() const noexcept override { return "injected fault"; }
};

// Armed, a site's countdown makes its Nth call from arming throw (once).
class Plan {
 public:
  static Plan& get() noexcept {
    static Plan p;
    return p;
  }
  void arm(Site s, std::uint32_t nth) noexcept {
    countdown_[static_cast<std::size_t>(s)] = nth;
    armed_ = true;
    fired_ = false;
  }
  void disarm() noexcept {
    armed_ = false;
    for (auto& c : countdown_) c = 0;
  }
  bool fired() const noexcept { return fired_; }
  // Called at every site; throws when its countdown reaches zero.
  void hit(Site s) {
    if (!armed_) return;
    std::uint32_t& c = countdown_[static_cast<std::size_t>(s)];
    if (c == 0 || --c != 0) return;
    fired_ = true;
    if (s == Site::kAlloc) throw std::bad_alloc();
    throw InjectedFault();
  }

 private:
  std::uint32_t countdown_[kSites] = {};
  bool armed_ = false;
  bool fired_ = false;
};

// A counting memory resource over new/delete whose allocation can fail.
class FailingResource : public std::pmr::memory_resource {
 public:
  std::size_t live_blocks() const noexcept { return blocks_; }
  std::size_t live_bytes() const noexcept { return bytes_; }
  std::size_t allocations() const noexcept { return allocations_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    Plan::get().hit(Site::kAlloc);
    void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
    ++allocations_;
    ++blocks_;
    bytes_ += bytes;
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    --blocks_;
    bytes_ -= bytes;
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return &o == this; }

  std::size_t blocks_ = 0, bytes_ = 0, allocations_ = 0;
};

using KeyCount = Counted<10>;
using ValueCount = Counted<11>;

// A key or value: an id, Counted (slot lifetimes checked), whose copy
// throws when `S` is armed. All or nothing: the fault comes before
// anything changes.
template <class C, Site S>
class Faulty {
 public:
  Faulty() noexcept = default;
  explicit Faulty(std::uint64_t id) noexcept : c_(id) {}
  Faulty(const Faulty& o) : c_((Plan::get().hit(S), o.c_)) {}
  Faulty(Faulty&&) noexcept = default;
  Faulty& operator=(const Faulty& o) {
    Plan::get().hit(S);
    c_ = o.c_;
    return *this;
  }
  Faulty& operator=(Faulty&&) noexcept = default;
  ~Faulty() = default;
  std::uint64_t id() const noexcept { return c_.id(); }
  friend std::string to_string(const Faulty& k) { return std::to_string(k.id()); }
  friend bool operator<(const Faulty& a, const Faulty& b) noexcept { return a.id() < b.id(); }

 private:
  C c_;
};
using FaultKey = Faulty<KeyCount, Site::kKeyCopy>;
using FaultValue = Faulty<ValueCount, Site::kValueCopy>;

// The hash's shape: Go's seeded hash of the id; few distinct seeded values
// (long chains, same-size growth); or an attacker's hash that ignores the
// seed and sends every key to bucket 0 of any table with one tophash
// (every lookup compares every key of the chain).
enum class HashShape : std::uint8_t { kSeeded, kFew, kFlood };

struct FaultHash {
  HashShape shape = HashShape::kSeeded;
  std::uint64_t operator()(const FaultKey& k, std::uint64_t seed) const {
    Plan::get().hit(Site::kHash);
    switch (shape) {
      case HashShape::kSeeded:
        return hashing::hash_u64(k.id(), seed);
      case HashShape::kFew:
        return hashing::hash_u64(k.id() % 5, seed);
      case HashShape::kFlood:
        break;
    }
    return std::uint64_t{0xab} << 56;
  }
};

struct FaultEq {
  bool operator()(const FaultKey& a, const FaultKey& b) const {
    Plan::get().hit(Site::kEq);
    return a.id() == b.id();
  }
};

using FaultAlloc = std::pmr::polymorphic_allocator<std::pair<const FaultKey, FaultValue>>;
using FaultMap = BucketMap<FaultKey, FaultValue, FaultHash, FaultEq, FaultAlloc>;

// Runs `f` with the plan disarmed (the harness's own reads must not fault),
// re-arming nothing: faults are armed for one operation at a time.
template <class F>
decltype(auto) quietly(F&& f) {
  Plan::get().disarm();
  return std::forward<F>(f)();
}

}  // namespace tophash::reference::faults
