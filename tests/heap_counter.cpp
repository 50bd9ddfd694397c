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
