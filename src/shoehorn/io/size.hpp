// Sizes on a machine whose size_t may have 32 bits (mipsel, bare-metal ARM): a 64-bit byte
// count from a file or a plan becomes a size_t only through these, so that a size the machine
// cannot address is an Error instead of a silent wrap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shoehorn {

// n as a size_t; throws Error naming `what` when it does not fit (only where size_t is 32 bits).
std::size_t to_size(std::uint64_t n, std::string_view what);

// a * b and a + b as size_t, or Error naming `what` when the result does not fit.
std::size_t size_product(std::size_t a, std::size_t b, std::string_view what);
std::size_t size_sum(std::size_t a, std::size_t b, std::string_view what);

}  // namespace shoehorn
