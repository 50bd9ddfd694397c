// A planned arena: one allocation sized up front, carved into typed arrays.
//
// The consoles' rule: know every large buffer before running, allocate once, and never allocate
// in the hot path. An ArenaPlan adds up the sizes (with alignment) first; the Arena is then
// created with exactly that capacity and hands out the same arrays in the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

inline constexpr std::size_t kArenaAlignment = 64;  // a cache line; also enough for AVX-512

constexpr std::size_t align_up(std::size_t n, std::size_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// Sums past size_t (a model larger than a 32-bit machine addresses) are an Error, never a wrap.
class ArenaPlan {
 public:
  template <class T>
  void add(std::size_t count) {
    bytes_ = size_sum(aligned(bytes_), size_product(count, sizeof(T), "arena"), "arena");
  }
  std::size_t bytes() const { return aligned(bytes_); }

 private:
  static std::size_t aligned(std::size_t n) {
    return size_sum(n, kArenaAlignment - 1, "arena") / kArenaAlignment * kArenaAlignment;
  }
  std::size_t bytes_ = 0;
};

// Sizes a layout instead of placing it: the same allocate<T>(count) calls as an Arena, adding
// up its plan, so that one function lists a set of buffers both to size an arena and to carve
// it.
struct ArenaSizer {
  ArenaPlan plan;
  template <class T>
  std::span<T> allocate(std::size_t count) {
    plan.add<T>(count);
    return {};
  }
};

class Arena {
 public:
  Arena() = default;
  explicit Arena(std::size_t capacity);
  // Over memory the caller owns (64-byte aligned, outliving the arena): nothing is allocated.
  explicit Arena(std::span<std::byte> memory);
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // Throws std::bad_alloc-free Error when the plan was wrong (a bug, not bad input).
  template <class T>
  std::span<T> allocate(std::size_t count) {
    static_assert(std::is_trivially_destructible_v<T>, "arena arrays are never destroyed");
    static_assert(alignof(T) <= kArenaAlignment);
    const std::size_t start = align_up(used_, kArenaAlignment);
    const std::size_t bytes = size_product(count, sizeof(T), "arena");
    check_fits(start, bytes);
    used_ = start + bytes;
    T* first = reinterpret_cast<T*>(base_ + start);
    // Begins the lifetime of each element (value-initialised: zeros for arithmetic types).
    for (std::size_t i = 0; i < count; ++i) ::new (static_cast<void*>(first + i)) T();
    return {first, count};
  }

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return used_; }

 private:
  struct AlignedDelete {
    void operator()(std::byte* p) const {
      ::operator delete[](p, std::align_val_t(kArenaAlignment));
    }
  };
  void check_fits(std::size_t start, std::size_t bytes) const;

  std::unique_ptr<std::byte[], AlignedDelete> owned_;  // empty over caller memory
  std::byte* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
};

// A MemoryBlock with no room for what is asked of it.
class BlockExhausted : public Error {
 public:
  using Error::Error;
};

// Memory a caller supplies (a bare machine's RAM, an embedding program's block) that arenas are
// carved from one after another, each 64-byte aligned; nothing is given back.
class MemoryBlock {
 public:
  MemoryBlock() = default;
  explicit MemoryBlock(std::span<std::byte> memory) : memory_(memory) {}

  // The next `bytes` of the block; throws Error when the block has no room left for them.
  std::span<std::byte> take(std::size_t bytes);
  // Gives back everything taken after the first `used` bytes (a used() from before).
  void rewind(std::size_t used) { used_ = used < used_ ? used : used_; }

  std::size_t capacity() const { return memory_.size(); }
  std::size_t used() const { return used_; }

 private:
  std::span<std::byte> memory_;
  std::size_t used_ = 0;
};

// An arena of `bytes`: carved from `block` when there is one, else allocated.
Arena make_arena(std::size_t bytes, MemoryBlock* block);

}  // namespace shoehorn
