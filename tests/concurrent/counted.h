// tests/concurrent/counted.h: a value type that counts its live objects, so
// a test can tell that a map destroyed every value it made, exactly once.
#pragma once

#include <atomic>
#include <cstdint>

namespace tophash::test {

class Counted {
 public:
  explicit Counted(std::uint64_t v) : v_(v) { counter().fetch_add(1, std::memory_order_relaxed); }
  Counted(const Counted& o) : v_(o.v_) { counter().fetch_add(1, std::memory_order_relaxed); }
  Counted& operator=(const Counted& o) = default;
  ~Counted() { counter().fetch_sub(1, std::memory_order_relaxed); }

  std::uint64_t value() const { return v_; }
  bool operator==(const Counted& o) const { return v_ == o.v_; }

  static long live() { return counter().load(std::memory_order_relaxed); }

 private:
  static std::atomic<long>& counter() {
    static std::atomic<long> n{0};
    return n;
  }
  std::uint64_t v_;
};

}  // namespace tophash::test
