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
// time.
#pragma once

#include <cstdint>
#include <string>

#include "tophash/hash.h"

namespace tophash::reference {

struct CountedStats {
  std::int64_t live = 0;     // constructed and not yet destroyed
  std::int64_t owning = 0;   // live and not moved from
  const char* error = nullptr;  // first misuse seen, if any
};

template <int Tag>
class Counted {
  static constexpr std::uint32_t kAlive = 0xA11CE5ED;
  static constexpr std::uint32_t kDead = 0xDEADDEAD;

 public:
  static CountedStats& stats() noexcept {
    static CountedStats s;
    return s;
  }
  static void reset() noexcept { stats() = CountedStats{}; }

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
      --stats().owning;
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
      --stats().owning;
    }
    return *this;
  }
  ~Counted() {
    if (magic_ != kAlive) {
      note(magic_ == kDead ? "object destroyed twice" : "destructor of an object never constructed");
      return;
    }
    magic_ = kDead;
    --stats().live;
    if (!hollow_) --stats().owning;
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
  static void note(const char* what) noexcept {
    if (stats().error == nullptr) stats().error = what;
  }
  void check(const char* what) const noexcept {
    if (magic_ != kAlive) note(what);
  }
  void born(bool owning) noexcept {
    magic_ = kAlive;
    hollow_ = !owning;
    ++stats().live;
    if (owning) ++stats().owning;
  }
  void set_hollow(bool h) noexcept {
    if (hollow_ == h) return;
    stats().owning += h ? -1 : 1;
    hollow_ = h;
  }

  std::uint64_t id_;
  std::uint32_t magic_ = 0;
  bool hollow_ = false;
};

using CountedKey = Counted<0>;
using CountedValue = Counted<1>;

}  // namespace tophash::reference

template <>
struct tophash::Hasher<tophash::reference::CountedKey> {
  std::uint64_t operator()(const tophash::reference::CountedKey& k, std::uint64_t seed) const noexcept {
    return hashing::hash_u64(k.id(), seed);
  }
};
