// Small pieces with exact expected values: byte order, RNG, sampler, kernels, arena, errors,
// CLI value parsing.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "shoehorn/cli/common.hpp"
#include "shoehorn/generate/eval.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/sample/rng.hpp"
#include "shoehorn/sample/sampler.hpp"

namespace shoehorn {
namespace {

TEST(ByteOrder, LoadsAndStoresBothOrders) {
  const std::byte bytes[4] = {std::byte{0x01}, std::byte{0x02}, std::byte{0x03}, std::byte{0x04}};
  EXPECT_EQ(load_u32(bytes, ByteOrder::little), 0x04030201u);
  EXPECT_EQ(load_u32(bytes, ByteOrder::big), 0x01020304u);
  EXPECT_EQ(load_u16(bytes, ByteOrder::big), 0x0102u);
  std::byte out[8] = {};
  store_u64(out, 0x0102030405060708ull, ByteOrder::big);
  EXPECT_EQ(out[0], std::byte{0x01});
  EXPECT_EQ(out[7], std::byte{0x08});
  EXPECT_EQ(load_u64(out, ByteOrder::big), 0x0102030405060708ull);
  store_f32(out, 1.0f, ByteOrder::little);  // 0x3f800000
  EXPECT_EQ(out[3], std::byte{0x3f});
  EXPECT_EQ(out[2], std::byte{0x80});
  EXPECT_EQ(load_f32(out, ByteOrder::little), 1.0f);
  EXPECT_EQ(byteswap32(0x11223344u), 0x44332211u);
}

TEST(Rng, IsLlama2cXorshift64Star) {
  Xorshift64Star rng(42);
  EXPECT_EQ(rng.next_u32(), 1456360119u);
  EXPECT_EQ(rng.next_u32(), 3359763283u);
  EXPECT_EQ(rng.next_u32(), 3393612768u);
  Xorshift64Star f(42);
  EXPECT_EQ(f.next_f32(), static_cast<float>(1456360119u >> 8) / 16777216.0f);
}

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  Sampler sampler(5, {0.0f, 0.9f, 1});
  std::vector<float> logits = {0.1f, 3.0f, -2.0f, 3.0f, 1.0f};
  EXPECT_EQ(sampler.sample(logits), 1);
  EXPECT_EQ(argmax(std::vector<float>{-1.0f, -0.5f}), 1);
}

TEST(Sampler, MultinomialFollowsTheCoin) {
  // Two equally likely tokens: the first coin of seed 42 is 0.339 < 0.5, so token 0.
  Sampler sampler(2, {1.0f, 1.0f, 42});
  std::vector<float> logits = {0.0f, 0.0f};
  EXPECT_EQ(sampler.sample(logits), 0);
  // Second coin: 3359763283 / 2^32 = 0.78 -> token 1.
  logits = {0.0f, 0.0f};
  EXPECT_EQ(sampler.sample(logits), 1);
}

TEST(Sampler, TopPKeepsTheNucleus) {
  // probabilities ~ {0.64, 0.24, 0.09, 0.03}; top-p 0.5 keeps only the first.
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    Sampler sampler(4, {1.0f, 0.5f, seed});
    std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
    EXPECT_EQ(sampler.sample(logits), 0);
  }
  // top-p 0.7 keeps the first two; both appear over many seeds, the others never.
  int seen[4] = {};
  for (std::uint64_t seed = 1; seed < 400; ++seed) {
    Sampler sampler(4, {1.0f, 0.7f, seed});
    std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
    ++seen[sampler.sample(logits)];
  }
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen[2] + seen[3], 0);
}

TEST(Kernels, RmsnormAndSoftmax) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f};
  const std::vector<float> w = {1.0f, 1.0f, 2.0f, 0.5f};
  std::vector<float> out(4);
  kernels::rmsnorm(out, x, w, 1e-5f);
  const float scale = 1.0f / std::sqrt(30.0f / 4.0f + 1e-5f);
  EXPECT_FLOAT_EQ(out[0], scale);
  EXPECT_FLOAT_EQ(out[2], 6.0f * scale);
  EXPECT_FLOAT_EQ(out[3], 2.0f * scale);
  std::vector<float> p = {0.0f, std::log(3.0f)};
  kernels::softmax(p);
  EXPECT_FLOAT_EQ(p[0], 0.25f);
  EXPECT_FLOAT_EQ(p[1], 0.75f);
}

TEST(Kernels, QuantizeGroupsLikeRunq) {
  const std::vector<float> x = {1.0f, -0.5f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  std::vector<std::int8_t> q(8);
  std::vector<float> scales(2);
  kernels::quantize_q8_groups(x, {q, scales}, 4);
  EXPECT_FLOAT_EQ(scales[0], 1.0f / 127.0f);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], -64);  // -63.5 rounds half away from zero, as C's round()
  EXPECT_EQ(q[2], 32);   // 31.75
  EXPECT_EQ(scales[1], 0.0f);
  EXPECT_EQ(q[5], 0);
}

TEST(Eval, SplitsIntoWholeLinesOfAboutEqualBytes) {
  // 24 bytes in 3: the cuts fall after the first line ends at or past bytes 8 and 16.
  const std::string_view text = "aaaa\nbbbbbb\ncc\nddddddd\ne";
  const std::vector<std::string_view> three = split_whole_lines(text, 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0], "aaaa\nbbbbbb\n");
  EXPECT_EQ(three[1], "cc\nddddddd\n");
  EXPECT_EQ(three[2], "e");
  // Fewer lines than parts: one slice a line, and nothing empty.
  const std::vector<std::string_view> many = split_whole_lines(text, 10);
  ASSERT_EQ(many.size(), 5u);
  EXPECT_EQ(many[0], "aaaa\n");
  EXPECT_EQ(many[4], "e");
  EXPECT_EQ(split_whole_lines("one line", 4), std::vector<std::string_view>{"one line"});
  EXPECT_TRUE(split_whole_lines("", 8).empty());
  EXPECT_EQ(split_whole_lines(text, 1), std::vector<std::string_view>{text});
}

TEST(Arena, PlansAlignedArrays) {
  ArenaPlan plan;
  plan.add<float>(3);
  plan.add<std::int8_t>(5);
  plan.add<double>(1);
  EXPECT_EQ(plan.bytes(), 3 * kArenaAlignment);
  Arena arena(plan.bytes());
  const auto a = arena.allocate<float>(3);
  const auto b = arena.allocate<std::int8_t>(5);
  const auto c = arena.allocate<double>(1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % kArenaAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % kArenaAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c.data()) % kArenaAlignment, 0u);
  EXPECT_EQ(a[2], 0.0f);
  EXPECT_EQ(arena.used(), 2 * kArenaAlignment + sizeof(double));
}

TEST(Error, MessagesStayOnOneLine) {
  try {
    fail_at("a\nb.bin", "field", 12, "bad\tvalue\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "a\\x0Ab.bin: field at offset 12: bad\\x09value\\x0A");
  }
}

TEST(CliValues, SizesAndSeeds) {
  EXPECT_EQ(cli::parse_size("512"), 512u);
  EXPECT_EQ(cli::parse_size("64K"), 64u << 10);
  EXPECT_EQ(cli::parse_size("32M"), 32u << 20);
  EXPECT_EQ(cli::parse_size("2G"), 2ull << 30);
  EXPECT_THROW(cli::parse_size("12Q"), Error);
  EXPECT_THROW(cli::parse_size(""), Error);
  EXPECT_EQ(cli::parse_seed("42"), 42u);
  EXPECT_EQ(cli::parse_seed("-5"), static_cast<std::uint64_t>(-5));  // atoi, then unsigned long long
  EXPECT_THROW(cli::parse_seed("abc"), Error);  // llama2.c's atoi would silently give 0
}

}  // namespace
}  // namespace shoehorn
