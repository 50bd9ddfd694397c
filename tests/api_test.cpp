// The C interface from C++: its handles live in the caller's block, and once a model is open
// the per-token calls (forward, sample) allocate nothing (counted with a replaced operator new).
#include <gtest/gtest.h>
#include <shoehorn/shoehorn.h>

#include <cstring>
#include <vector>

#include "heap_counter.hpp"
#include "shoehorn/io/size.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

int read_vector(void* context, std::uint64_t offset, std::size_t bytes, void* dst) {
  const auto* file = static_cast<const std::vector<std::byte>*>(context);
  std::memcpy(dst, file->data() + offset, bytes);
  return 0;
}

shoehorn_reader reader_of(const std::vector<std::byte>& file, const char* name) {
  return {const_cast<std::vector<std::byte>*>(&file), file.size(), name, read_vector};
}

TEST(Api, HandlesLiveInTheBlockAndTokensAllocateNothing) {
  const std::vector<std::byte> model_bytes = read_bytes(shared_path("models/stories260K.bin"));
  const std::vector<std::byte> tokenizer_bytes = read_bytes(shared_path("models/tok512.bin"));
  const shoehorn_reader model = reader_of(model_bytes, "stories260K.bin");
  const shoehorn_reader tokenizer = reader_of(tokenizer_bytes, "tok512.bin");
  shoehorn_error error;
  shoehorn_memory_info info;
  ASSERT_EQ(shoehorn_plan(&model, 0, nullptr, &info, &error), SHOEHORN_OK) << error.message;
  std::vector<std::byte> block(to_size(info.block_bytes, "block"));
  shoehorn_model* m = nullptr;
  ASSERT_EQ(shoehorn_open(&model, &tokenizer, nullptr, block.data(), block.size(), &m, &error),
            SHOEHORN_OK)
      << error.message;
  shoehorn_context* c = nullptr;
  ASSERT_EQ(shoehorn_context_new(m, nullptr, &c, &error), SHOEHORN_OK) << error.message;

  const auto* first = block.data();
  const auto* end = block.data() + block.size();
  const auto* model_at = reinterpret_cast<const std::byte*>(m);
  const auto* context_at = reinterpret_cast<const std::byte*>(c);
  EXPECT_TRUE(model_at >= first && model_at < end);
  EXPECT_TRUE(context_at >= first && context_at < end);
  shoehorn_model_info mi;
  ASSERT_EQ(shoehorn_model_get_info(m, &mi), SHOEHORN_OK);
  EXPECT_LE(mi.block_bytes_used, block.size());
  EXPECT_GT(mi.block_bytes_used, info.resident_weight_bytes);  // the weights are in it

  const long before = heap_allocations();
  int token = mi.bos_token;
  for (int pos = 0; pos < 64; ++pos) {
    float* logits = nullptr;
    ASSERT_EQ(shoehorn_forward(c, token, pos, &logits, &error), SHOEHORN_OK) << error.message;
    ASSERT_EQ(shoehorn_sample(c, logits, &token, &error), SHOEHORN_OK) << error.message;
  }
  EXPECT_EQ(heap_allocations(), before) << "forward and sample allocated";
  shoehorn_close(m);
}

}  // namespace
}  // namespace shoehorn::test
