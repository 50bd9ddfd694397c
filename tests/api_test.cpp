// The C interface from C++: its handles live in the caller's block, once a model is open
// forward, sample and generate allocate nothing (counted with a replaced operator new), and
// each context keeps its own kernel path.
#include <gtest/gtest.h>
#include <shoehorn/shoehorn.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "heap_counter.hpp"
#include "shoehorn/io/size.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
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

  // generate too: its prompt encodes in the context's room in the block.
  shoehorn_generation_stats stats;
  const long before_generate = heap_allocations();
  ASSERT_EQ(shoehorn_generate(c, "Once upon a time, Lily saw a big red ball", 64, nullptr, nullptr,
                              &stats, &error),
            SHOEHORN_OK)
      << error.message;
  EXPECT_EQ(heap_allocations(), before_generate) << "generate allocated";
  EXPECT_GT(stats.prompt_tokens, 5);
  EXPECT_EQ(stats.positions, 64);

  // A prompt longer than that room is a status and a line, not a heap allocation.
  const std::string long_prompt(20000, 'a');
  EXPECT_EQ(shoehorn_generate(c, long_prompt.c_str(), 64, nullptr, nullptr, nullptr, &error),
            SHOEHORN_NO_MEMORY);
  EXPECT_NE(std::string(error.message).find("prompt: 20000 bytes do not encode"), std::string::npos)
      << error.message;
  shoehorn_close(m);
}

// One generation of a model (a GGUF with its tokenizer) on a kernel path (NULL: the default);
// on_token also runs for each token.
template <class OnToken>
std::string generate_text(const std::vector<std::byte>& file, const char* kernels, OnToken on_token) {
  const shoehorn_reader model = reader_of(file, "stories260K-q8_0.gguf");
  shoehorn_error error;
  shoehorn_memory_info info;
  EXPECT_EQ(shoehorn_plan(&model, 0, nullptr, &info, &error), SHOEHORN_OK) << error.message;
  std::vector<std::byte> block(to_size(info.block_bytes, "block"));
  shoehorn_model* m = nullptr;
  shoehorn_context* c = nullptr;
  shoehorn_context_params params;
  shoehorn_default_context_params(&params);
  params.kernels = kernels;
  params.seed = 42;
  EXPECT_EQ(shoehorn_open(&model, nullptr, nullptr, block.data(), block.size(), &m, &error), SHOEHORN_OK)
      << error.message;
  EXPECT_EQ(shoehorn_context_new(m, &params, &c, &error), SHOEHORN_OK) << error.message;
  struct Run {
    std::string text;
    OnToken* on_token;
  } run{"", &on_token};
  const shoehorn_token_fn append = [](void* user, int32_t, const char* text, size_t length) {
    Run& r = *static_cast<Run*>(user);
    r.text.append(text, length);
    (*r.on_token)();
    return 0;
  };
  EXPECT_EQ(shoehorn_generate(c, "Once upon a time", 200, append, &run, nullptr, &error), SHOEHORN_OK)
      << error.message;
  shoehorn_close(m);
  return run.text;
}

// Two contexts at once on two threads, one on the scalar path and one on the fastest: each
// computes on its own path while the process's stays as it was (a context once switched the
// process's path for each call), and both write the text of one context alone.
TEST(Api, ContextsOnTwoThreadsKeepTheirOwnKernelPaths) {
  const std::vector<std::byte> file = read_bytes(stories260k_gguf("q8_0"));
  const kernels::KernelPath process_path = kernels::kernel_path();
  const std::string fastest = kernels::to_string(kernels::supported_kernel_paths().back());
  std::atomic<int> process_path_changed = 0;
  const auto watch = [&] { process_path_changed += kernels::kernel_path() != process_path; };
  const std::string alone = generate_text(file, nullptr, watch);
  ASSERT_GT(alone.size(), 100u);
  std::string scalar, simd;
  std::thread a([&] { scalar = generate_text(file, "scalar", watch); });
  std::thread b([&] { simd = generate_text(file, fastest.c_str(), watch); });
  a.join();
  b.join();
  EXPECT_EQ(scalar, alone);
  EXPECT_EQ(simd, alone);
  EXPECT_EQ(process_path_changed.load(), 0);
  EXPECT_EQ(kernels::kernel_path(), process_path);
}

}  // namespace
}  // namespace shoehorn::test
