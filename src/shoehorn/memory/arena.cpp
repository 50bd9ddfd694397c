#include "shoehorn/memory/arena.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

Arena::Arena(std::size_t capacity)
    : owned_(static_cast<std::byte*>(
          ::operator new[](capacity == 0 ? 1 : capacity, std::align_val_t(kArenaAlignment)))),
      base_(owned_.get()),
      capacity_(capacity) {}

Arena::Arena(std::span<std::byte> memory) : base_(memory.data()), capacity_(memory.size()) {
  if (reinterpret_cast<std::uintptr_t>(base_) % kArenaAlignment != 0) {
    throw Error("internal error: arena memory not " + std::to_string(kArenaAlignment) +
                "-byte aligned");
  }
}

void Arena::check_fits(std::size_t start, std::size_t bytes) const {
  if (start > capacity_ || bytes > capacity_ - start) {
    throw Error("internal error: arena of " + std::to_string(capacity_) +
                " bytes cannot hold " + std::to_string(bytes) + " more bytes at " +
                std::to_string(start) + " (the plan and the allocations disagree)");
  }
}

std::span<std::byte> MemoryBlock::take(std::size_t bytes) {
  // Where the block's next aligned byte lies, whatever the alignment of its start.
  const auto address = reinterpret_cast<std::uintptr_t>(memory_.data()) + used_;
  const std::size_t start = used_ + (kArenaAlignment - address % kArenaAlignment) % kArenaAlignment;
  if (start > memory_.size() || bytes > memory_.size() - start) {
    throw BlockExhausted("memory block of " + std::to_string(memory_.size()) + " bytes has " +
                std::to_string(memory_.size() - std::min(start, memory_.size())) +
                " left, " + std::to_string(bytes) + " needed");
  }
  used_ = start + bytes;
  return memory_.subspan(start, bytes);
}

Arena make_arena(std::size_t bytes, MemoryBlock* block) {
  return block != nullptr ? Arena(block->take(bytes)) : Arena(bytes);
}

}  // namespace shoehorn
