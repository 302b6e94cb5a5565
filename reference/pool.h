// reference/pool.h: an allocator that recycles single-object allocations
// through a free list. The model and the iteration oracle are node-based
// std containers that allocate per key; under ASan every allocation
// records a stack trace, so recycling their nodes keeps the harness's own
// cost small next to the map's. Harness memory only: the map under test
// always uses its own allocator, where ASan sees every block.
#pragma once

#include <cstddef>
#include <memory>

namespace tophash::reference {

template <class T>
struct PoolAllocator {
  using value_type = T;

  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT: allocators convert implicitly

  T* allocate(std::size_t n) {
    if (n == 1 && head() != nullptr) {
      Free* f = head();
      head() = f->next;
      return reinterpret_cast<T*>(f);
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n != 1) {
      std::allocator<T>().deallocate(p, n);
      return;
    }
    Free* f = reinterpret_cast<Free*>(p);
    f->next = head();
    head() = f;
  }
  friend bool operator==(const PoolAllocator&, const PoolAllocator&) noexcept { return true; }

 private:
  struct Free {
    Free* next;
  };
  static_assert(sizeof(T) >= sizeof(Free) && alignof(T) >= alignof(Free), "a freed node holds the free-list link");
  // One list per node type, kept for the life of the process (reachable,
  // so not a leak); the harness runs one program at a time per thread.
  static Free*& head() noexcept {
    static thread_local Free* h = nullptr;
    return h;
  }
};

// Empties a container the harness reuses from program to program: clear()
// keeps its storage (no allocation next time), unless it grew past
// kKeepCapacity buckets or elements, since clearing an unordered
// container costs its bucket count and one big program should not slow
// every small one after it.
inline constexpr std::size_t kKeepCapacity = 1024;
template <class C>
void reset_keeping_capacity(C& c) {
  std::size_t cap;
  if constexpr (requires { c.bucket_count(); }) {
    cap = c.bucket_count();
  } else {
    cap = c.capacity();
  }
  if (cap > kKeepCapacity) {
    C().swap(c);
  } else if (!c.empty()) {  // an unordered container's clear() zeroes its buckets even when empty
    c.clear();
  }
}

}  // namespace tophash::reference
