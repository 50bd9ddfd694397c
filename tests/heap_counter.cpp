// Counts every heap allocation of the test binary it is linked into (global operator new
// replaced). In a file of its own, so that no caller sees malloc and free through the
// replacement and warns about mismatched allocation functions.
#include <atomic>
#include <cstdlib>
#include <new>

#include "heap_counter.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

long shoehorn::test::heap_allocations() { return g_allocations.load(); }

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// std::stable_sort's temporary buffer comes from the nothrow forms: replaced too, so that every
// block is malloc'ed and freed here (ASan reports new/free pairs that cross).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
