#include "shoehorn/memory/arena.hpp"

#include <string>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

Arena::Arena(std::size_t capacity)
    : storage_(static_cast<std::byte*>(
          ::operator new[](capacity == 0 ? 1 : capacity, std::align_val_t(kArenaAlignment)))),
      capacity_(capacity) {}

void Arena::check_fits(std::size_t start, std::size_t bytes) const {
  if (start > capacity_ || bytes > capacity_ - start) {
    throw Error("internal error: arena of " + std::to_string(capacity_) +
                " bytes cannot hold " + std::to_string(bytes) + " more bytes at " +
                std::to_string(start) + " (the plan and the allocations disagree)");
  }
}

}  // namespace shoehorn
