#include "shoehorn/io/size.hpp"

#include <limits>
#include <string>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

namespace {

[[noreturn]] void too_large(std::string_view what, const std::string& bytes) {
  throw Error(std::string(what) + ": " + bytes + " bytes do not fit this machine's " +
              std::to_string(std::numeric_limits<std::size_t>::digits) + "-bit address space");
}

}  // namespace

std::size_t to_size(std::uint64_t n, std::string_view what) {
  if (n > std::numeric_limits<std::size_t>::max()) too_large(what, std::to_string(n));
  return static_cast<std::size_t>(n);
}

std::size_t size_product(std::size_t a, std::size_t b, std::string_view what) {
  std::size_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    too_large(what, std::to_string(a) + " x " + std::to_string(b));
  }
  return product;
}

std::size_t size_sum(std::size_t a, std::size_t b, std::string_view what) {
  std::size_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) too_large(what, std::to_string(a) + " + " + std::to_string(b));
  return sum;
}

}  // namespace shoehorn
