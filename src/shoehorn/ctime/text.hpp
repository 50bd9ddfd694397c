// Text in a fixed-size array: a constexpr result that holds only the text.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace shoehorn::ctime {

template <std::size_t Capacity>
struct Text {
  std::array<char, Capacity> bytes{};
  std::size_t size = 0;

  constexpr std::string_view view() const { return {bytes.data(), size}; }
};

}  // namespace shoehorn::ctime
