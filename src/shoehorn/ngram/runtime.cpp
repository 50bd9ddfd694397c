#include "shoehorn/ngram/runtime.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace shoehorn::ngram {

namespace {

bool is_excluded(const std::array<std::uint8_t, 32>& excluded, std::uint8_t symbol) {
  return (excluded[symbol >> 3] >> (symbol & 7)) & 1;
}

void exclude(std::array<std::uint8_t, 32>& excluded, std::uint8_t symbol) {
  excluded[symbol >> 3] = static_cast<std::uint8_t>(excluded[symbol >> 3] | (1u << (symbol & 7)));
}

}  // namespace

Xorshift32::Xorshift32(std::uint32_t seed) : state_(seed == 0 ? 0x9E3779B9u : seed) {
  for (int i = 0; i < 16; ++i) step();
}

Generator::Generator(const Model& model, std::uint32_t seed)
    : model_(model), memory_{Xorshift32(seed)} {
  restart();
}

void Generator::restart() {
  memory_.depth = 0;
  memory_.contexts[0] = {0, static_cast<std::uint16_t>(model_.alphabet_size())};
  for (const char c : model_.start) feed(static_cast<std::uint8_t>(c));
}

bool Generator::find(int length, const Context& context, std::uint8_t byte,
                     std::uint32_t* index) const {
  std::uint32_t lo = 0, hi = context.count;
  while (lo < hi) {
    const std::uint32_t mid = (lo + hi) >> 1;
    const std::uint8_t symbol = model_.symbol(length + 1, context.first + mid);
    if (symbol == byte) {
      *index = context.first + mid;
      return true;
    }
    if (symbol < byte) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

void Generator::feed(std::uint8_t byte) {
  const int longest = std::min<int>(memory_.depth, model_.order - 2);
  int depth = 0;
  Context shorter = memory_.contexts[0];  // the node for the last `length` bytes, before this byte
  for (int length = 0; length <= longest; ++length) {
    std::uint32_t node = 0;
    if (!find(length, shorter, byte, &node)) break;
    const ChildRange children = model_.children(length + 1, node);
    if (children.count == 0) break;
    Context& longer = memory_.contexts[static_cast<std::size_t>(length + 1)];
    shorter = longer;
    longer = {children.start, static_cast<std::uint16_t>(children.count)};
    depth = length + 1;
  }
  memory_.depth = static_cast<std::uint8_t>(depth);
}

std::uint32_t Generator::mass(int length, const Exclusions& excluded, bool top) const {
  const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
  const bool full = context.count == model_.alphabet_size();
  if (top && !full) return kProbabilityOne;
  std::uint32_t all = 0, out = 0;
  for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
    const std::uint32_t q = model_.q(length + 1, i);
    all += q;
    if (is_excluded(excluded, model_.symbol(length + 1, i))) out += q;
  }
  return (full ? all : kProbabilityOne) - out;
}

std::uint8_t Generator::next() {
  memory_.excluded.fill(0);
  for (int length = memory_.depth; length >= 0; --length) {
    const std::uint32_t s = mass(length, memory_.excluded, length == memory_.depth);
    std::uint32_t r = (static_cast<std::uint32_t>(memory_.rng.next16()) * s) >> 16;
    const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
    for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
      const std::uint8_t symbol = model_.symbol(length + 1, i);
      if (is_excluded(memory_.excluded, symbol)) continue;
      const std::uint32_t q = model_.q(length + 1, i);
      if (r < q) {
        feed(symbol);
        return symbol;
      }
      r -= q;
      exclude(memory_.excluded, symbol);
    }
    // The escape: on to the next shorter context.
  }
  // A validated model never gets here: the root has no escape (its S is the mass of its
  // children left over), and every context excludes fewer bytes than the root holds.
  throw std::logic_error("n-gram runtime escaped past the root");
}

double Generator::surprise(std::uint8_t byte) const {
  Exclusions excluded{};
  double bits = 0;
  for (int length = memory_.depth; length >= 0; --length) {
    const double s = mass(length, excluded, length == memory_.depth);
    const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
    std::uint32_t left = 0;
    for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
      const std::uint8_t symbol = model_.symbol(length + 1, i);
      if (is_excluded(excluded, symbol)) continue;
      const std::uint32_t q = model_.q(length + 1, i);
      if (symbol == byte) return bits - std::log2(q / s);
      left += q;
    }
    const double escape = s - left;
    if (escape <= 0) break;
    bits -= std::log2(escape / s);
    for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
      exclude(excluded, model_.symbol(length + 1, i));
    }
  }
  return std::numeric_limits<double>::infinity();
}

std::string generate(const Model& model, std::uint32_t seed, std::string_view prompt, int n) {
  Generator generator(model, seed);
  std::string text(prompt);
  for (const char c : prompt) generator.feed(static_cast<std::uint8_t>(c));
  for (int i = 0; i < n; ++i) text += static_cast<char>(generator.next());
  return text;
}

Evaluation evaluate(const Model& model, std::string_view text) {
  Generator generator(model, 1);
  Evaluation result;
  for (const char c : text) {
    const auto byte = static_cast<std::uint8_t>(c);
    const double bits = generator.surprise(byte);
    if (std::isinf(bits)) {
      ++result.unknown;
    } else {
      ++result.bytes;
      result.bits += bits;
    }
    generator.feed(byte);
  }
  return result;
}

}  // namespace shoehorn::ngram
