// The few math functions the forward pass and the sampler need, usable in constant evaluation.
//
// At run time each function is the libm call the engine has always made (std::sqrt, std::exp,
// C's round), so run-time results do not change. In constant evaluation no libm exists (GCC
// folds some builtins, Clang 14 none), so each has a constexpr implementation here:
//   sqrt: correctly rounded, as IEEE 754 requires of std::sqrt: the same bits.
//   round to int8: exact: the same value.
//   exp: correctly rounded (up to a few hard cases). glibc's expf is not quite (0.502 ulp), so
//        the two can differ by one ulp on rare inputs: see docs/COMPILE_TIME.md.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "shoehorn/quant/round.hpp"

namespace shoehorn::float_math {

namespace detail {

constexpr float next_up(float y) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(y) + 1u);  // y > 0, finite
}
constexpr float next_down(float y) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(y) - 1u);  // y > 0
}

// Newton's iteration in double lands within an ulp of the float root; the candidate is then
// moved until it is the float nearest the root: the midpoints to its neighbours have 25
// significant bits, so their squares (50 bits) compare with x exactly in double.
constexpr float sqrt(float x) {
  if (x == 0.0f || x == std::numeric_limits<float>::infinity()) return x;
  if (!(x > 0.0f)) return std::numeric_limits<float>::quiet_NaN();
  const double d = x;
  // A first guess with half the exponent: the bits of d shifted right by one.
  double g = std::bit_cast<double>((std::bit_cast<std::uint64_t>(d) >> 1) + 0x1FF8000000000000ull);
  for (int i = 0; i < 6; ++i) g = 0.5 * (g + d / g);
  float y = static_cast<float>(g);
  for (int i = 0; i < 2; ++i) {
    const double above = (static_cast<double>(y) + next_up(y)) * 0.5;
    const double below = (static_cast<double>(y) + next_down(y)) * 0.5;
    if (above * above < d) {
      y = next_up(y);
    } else if (below * below > d) {
      y = next_down(y);
    }
  }
  return y;
}

// 1 / k! for k = 0..13, each correctly rounded (k! itself is exact: 13! < 2^53).
constexpr double inverse_factorial(int k) {
  double factorial = 1.0;
  for (int i = 2; i <= k; ++i) factorial *= i;
  return 1.0 / factorial;
}

// exp(x) = 2^n * exp(r), r = x - n ln2 in [-0.35, 0.35], evaluated in double (relative error
// near 2^-52) and rounded to float once.
constexpr float exp(float x) {
  if (x != x) return x;
  if (x > 88.7228394f) return std::numeric_limits<float>::infinity();  // above log(FLT_MAX)
  if (x < -103.972084f) return 0.0f;  // below log(2^-150): rounds to zero
  constexpr double kInvLn2 = 1.4426950408889634;
  constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;  // low bits zero: n * kLn2Hi is exact
  constexpr double kLn2Lo = 0x1.ef35793c76730p-45;
  const double xd = x;
  const double t = xd * kInvLn2;
  const auto n = static_cast<std::int64_t>(t < 0.0 ? t - 0.5 : t + 0.5);
  const double nd = static_cast<double>(n);
  const double r = (xd - nd * kLn2Hi) - nd * kLn2Lo;
  // Taylor series to r^13 / 13!, by Horner: the next term is below 2^-60 for |r| <= 0.35.
  // One expression rather than a loop: constant evaluation counts a step per statement.
  constexpr double c0 = inverse_factorial(0), c1 = inverse_factorial(1),
                   c2 = inverse_factorial(2), c3 = inverse_factorial(3),
                   c4 = inverse_factorial(4), c5 = inverse_factorial(5),
                   c6 = inverse_factorial(6), c7 = inverse_factorial(7),
                   c8 = inverse_factorial(8), c9 = inverse_factorial(9),
                   c10 = inverse_factorial(10), c11 = inverse_factorial(11),
                   c12 = inverse_factorial(12), c13 = inverse_factorial(13);
  const double p =
      ((((((((((((c13 * r + c12) * r + c11) * r + c10) * r + c9) * r + c8) * r + c7) * r + c6) *
                  r + c5) * r + c4) * r + c3) * r + c2) * r + c1) * r + c0;
  // 2^n as a double: n is in [-150, 128], inside double's normal range.
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(n + 1023) << 52);
  return static_cast<float>(p * scale);
}

// C's round() (halves away from zero), then saturated to int8 as quant/round.hpp does. For a
// float v below 2^52 in magnitude, v + 0.5 is exact in double, so truncating it rounds exactly.
constexpr std::int8_t round_half_away_int8(float v) {
  if (!(v == v)) return 0;
  if (v >= 127.5f) return 127;
  if (v <= -128.5f) return -128;
  const double half = v < 0.0f ? -0.5 : 0.5;
  return static_cast<std::int8_t>(static_cast<int>(static_cast<double>(v) + half));
}

}  // namespace detail

constexpr float sqrt(float x) {
  if (std::is_constant_evaluated()) return detail::sqrt(x);
  return std::sqrt(x);
}

constexpr float exp(float x) {
  if (std::is_constant_evaluated()) return detail::exp(x);
  return std::exp(x);
}

constexpr std::int8_t round_half_away_int8(float v) {
  if (std::is_constant_evaluated()) return detail::round_half_away_int8(v);
  return shoehorn::round_half_away_int8(v);
}

}  // namespace shoehorn::float_math
