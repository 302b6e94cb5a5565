// reference/counted.h: a key/value type that keeps count of itself, so the
// harness sees what the sanitizers cannot: an object destroyed twice, used
// after its destruction, or never destroyed (its storage lives inside a
// bucket, which is still allocated, so ASan and LSan are blind to it).
//
// Every object carries a magic word: kAlive while constructed, kDead after
// its destructor. A destructor, copy, move or comparison that finds a dead
// object records an error (it cannot throw from a destructor, and the map
// under test must keep running so the harness can dump the layout); the
// executor collects the error after each op. A moved-from object stays
// alive but is "hollow": it no longer owns its id, so the number of owning
// objects is exactly what the map holds. Counters are per tag (one for
// keys, one for values) and process-wide: the harness runs one map at a
// time. The tests use the same type: their own tag (CountedTestObject), and
// for objects handed between threads atomic counters (SharedCounted).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>

#include "tophash/hash.h"

namespace tophash::reference {

// Shared: atomic counters, for objects made and destroyed on many threads.
template <bool Shared>
struct BasicCountedStats {
  template <class T>
  using Field = std::conditional_t<Shared, std::atomic<T>, T>;
  Field<std::int64_t> live{0};         // constructed and not yet destroyed
  Field<std::int64_t> owning{0};       // live and not moved from
  Field<std::int64_t> constructed{0};  // ever constructed (copies and moves too)
  Field<const char*> error{nullptr};   // first misuse seen, if any
};
using CountedStats = BasicCountedStats<false>;

template <int Tag, bool Shared = false>
class Counted {
  static constexpr std::uint32_t kAlive = 0xA11CE5ED;
  static constexpr std::uint32_t kDead = 0xDEADDEAD;

 public:
  static BasicCountedStats<Shared>& stats() noexcept {
    static BasicCountedStats<Shared> s;
    return s;
  }
  static void reset() noexcept {
    auto& s = stats();
    s.live = 0;
    s.owning = 0;
    s.constructed = 0;
    s.error = nullptr;
  }

  explicit Counted(std::uint64_t id = 0) noexcept : id_(id) { born(true); }
  Counted(const Counted& o) noexcept : id_(o.id_) {
    o.check("copy of a destroyed object");
    if (o.hollow_) note("copy of a moved-from object");
    born(!o.hollow_);
  }
  Counted(Counted&& o) noexcept : id_(o.id_) {
    o.check("move of a destroyed object");
    born(!o.hollow_);
    if (!o.hollow_) {
      o.hollow_ = true;
      count(stats().owning, -1);
    }
  }
  Counted& operator=(const Counted& o) noexcept {
    check("assignment to a destroyed object");
    o.check("assignment from a destroyed object");
    id_ = o.id_;
    set_hollow(o.hollow_);
    return *this;
  }
  Counted& operator=(Counted&& o) noexcept {
    check("assignment to a destroyed object");
    o.check("assignment from a destroyed object");
    id_ = o.id_;
    set_hollow(o.hollow_);
    if (!o.hollow_ && &o != this) {
      o.hollow_ = true;
      count(stats().owning, -1);
    }
    return *this;
  }
  ~Counted() {
    if (magic_ != kAlive) {
      note(magic_ == kDead ? "object destroyed twice" : "destructor of an object never constructed");
      return;
    }
    magic_ = kDead;
    count(stats().live, -1);
    if (!hollow_) count(stats().owning, -1);
  }

  std::uint64_t id() const noexcept {
    check("read of a destroyed object");
    return id_;
  }
  bool hollow() const noexcept { return hollow_; }
  friend bool operator==(const Counted& a, const Counted& b) noexcept {
    a.check("comparison with a destroyed object");
    b.check("comparison with a destroyed object");
    return a.id_ == b.id_;
  }
  friend bool operator<(const Counted& a, const Counted& b) noexcept {  // for the invariant checker's sort
    a.check("comparison with a destroyed object");
    b.check("comparison with a destroyed object");
    return a.id_ < b.id_;
  }
  friend std::string to_string(const Counted& c) { return std::to_string(c.id_); }

 private:
  // Relaxed when shared: the counters must not order the threads under test
  // (ThreadSanitizer would then miss the races the tests look for).
  template <class Field>
  static void count(Field& f, std::int64_t d) noexcept {
    if constexpr (Shared) {
      f.fetch_add(d, std::memory_order_relaxed);
    } else {
      f += d;
    }
  }
  static void note(const char* what) noexcept {
    auto& error = stats().error;
    if constexpr (Shared) {
      const char* none = nullptr;
      error.compare_exchange_strong(none, what, std::memory_order_relaxed);
    } else if (error == nullptr) {
      error = what;
    }
  }
  void check(const char* what) const noexcept {
    if (magic_ != kAlive) note(what);
  }
  void born(bool owning) noexcept {
    magic_ = kAlive;
    hollow_ = !owning;
    count(stats().constructed, 1);
    count(stats().live, 1);
    if (owning) count(stats().owning, 1);
  }
  void set_hollow(bool h) noexcept {
    if (hollow_ == h) return;
    count(stats().owning, h ? -1 : 1);
    hollow_ = h;
  }

  std::uint64_t id_;
  std::uint32_t magic_ = 0;
  bool hollow_ = false;
};

// The executor's counted key type (keys.h).
using CountedKey = Counted<0>;
using CountedValue = Counted<1>;
// The unit tests' keys and values (tests/lifetime_test.cc): one counter for both.
using CountedTestObject = Counted<2>;
// Values shared between threads (tests/concurrent/).
using SharedCounted = Counted<3, true>;

}  // namespace tophash::reference

template <int Tag, bool Shared>
struct tophash::Hasher<tophash::reference::Counted<Tag, Shared>> {
  std::uint64_t operator()(const tophash::reference::Counted<Tag, Shared>& k, std::uint64_t seed) const noexcept {
    return hashing::hash_u64(k.id(), seed);
  }
};
