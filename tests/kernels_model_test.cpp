// Whole models on every kernel path: the forward pass, smaller caches, interleaved rows, the
// recorded llama2.c text, batched prefill against decoding, eval for any threads and path.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "shoehorn/format/load.hpp"
#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/model/transformer.hpp"
#include "kernel_paths.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

using kernels::KernelPath;

Model stories260k_as(const std::string& quant) { return load_model(stories260k_gguf(quant)); }

// Logits of positions 0..n-1, one forward() at a time.
std::vector<float> sequential_logits(Transformer& t, const std::vector<int>& tokens) {
  std::vector<float> all;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::span<float> l = t.forward(tokens[i], static_cast<int>(i));
    all.insert(all.end(), l.begin(), l.end());
  }
  return all;
}

const std::vector<int> kTokens{1, 403, 407, 261, 378, 270, 307, 259, 354, 290, 5};

TEST(Kernels, WholeForwardPassIsTheSameOnEveryPath) {
  for (const char* quant : {"q8_0", "q4_0"}) {
    const Model model = stories260k_as(quant);
    std::vector<float> scalar;
    for_each_path([&](KernelPath path) {
      Transformer t(model, static_cast<int>(kTokens.size()));
      const std::vector<float> logits = sequential_logits(t, kTokens);
      if (path == KernelPath::scalar) {
        scalar = logits;
      } else {
        EXPECT_EQ(bits_of(logits), bits_of(scalar)) << quant << " " << to_string(path);
      }
    });
  }
}

// A half-float or int8 cache: the same bits on every path and in batches, near the F32 cache's
// logits but not equal to them (keys and values are rounded as they are stored).
TEST(Kernels, SmallerCachesAreTheSameOnEveryPathAndNearF32) {
  const Model model = stories260k_as("f32");
  const int n = static_cast<int>(kTokens.size());
  Transformer f32(model, n);
  const std::vector<float> exact = sequential_logits(f32, kTokens);
  for (const auto& [kv, tolerance] : {std::pair{KvCache::f16, 0.02f}, std::pair{KvCache::q8, 1.0f}}) {
    std::vector<float> scalar;
    for_each_path([&](KernelPath path) {
      Transformer small(model, n, nullptr, 1, nullptr, Logits::last, kv);
      const std::vector<float> logits = sequential_logits(small, kTokens);
      if (path == KernelPath::scalar) {
        scalar = logits;
      } else {
        EXPECT_EQ(bits_of(logits), bits_of(scalar)) << to_string(kv) << " " << to_string(path);
      }
      ThreadPool pool(2);
      Transformer batched(model, n, &pool, 4, nullptr, Logits::all, kv);
      std::vector<float> in_batches;
      for (std::size_t done = 0; done < kTokens.size(); done += 4) {
        const std::size_t count = std::min<std::size_t>(4, kTokens.size() - done);
        const std::span<float> l = batched.forward_batch(std::span(kTokens).subspan(done, count),
                                                         static_cast<int>(done), Logits::all);
        in_batches.insert(in_batches.end(), l.begin(), l.end());
      }
      EXPECT_EQ(bits_of(in_batches), bits_of(logits)) << to_string(kv) << " " << to_string(path);
    });
    float largest = 0.0f;
    for (std::size_t i = 0; i < exact.size(); ++i) largest = std::max(largest, std::fabs(scalar[i] - exact[i]));
    EXPECT_GT(largest, 0.0f) << to_string(kv);
    EXPECT_LT(largest, tolerance) << to_string(kv);
    // And every position's most likely token is F32's.
    const std::size_t vocab = model.config().vocab_size;
    for (std::size_t p = 0; p < kTokens.size(); ++p) {
      const auto top = [&](const std::vector<float>& l) {
        return std::max_element(l.begin() + p * vocab, l.begin() + (p + 1) * vocab) - l.begin();
      };
      EXPECT_EQ(top(scalar), top(exact)) << to_string(kv) << " position " << p;
    }
  }
  // Bytes: half of F32's; int8 values plus a float scale per position and kv head.
  const Config& c = model.config();
  const std::size_t values = static_cast<std::size_t>(c.n_layers) * n * c.kv_dim();
  auto kv_bytes = [&](KvCache kv) {
    return Transformer::bytes(Transformer::shape(model.file, n, 1, Logits::last, kv)).kv_cache;
  };
  EXPECT_EQ(kv_bytes(KvCache::f32), 2 * values * sizeof(float));
  EXPECT_EQ(kv_bytes(KvCache::f16), 2 * values * 2);
  const std::size_t scales = static_cast<std::size_t>(c.n_layers) * n * c.n_kv_heads;
  const std::size_t q8 = kv_bytes(KvCache::q8);
  EXPECT_GE(q8, 2 * (values + scales * sizeof(float)));
  EXPECT_LT(q8, 2 * (values + scales * sizeof(float)) + 4 * kArenaAlignment);
}

// A model loaded with its Q8_0 rows interleaved runs the bits of the file's layout.
TEST(Kernels, InterleavedModelIsTheSameOnEveryPath) {
  for (const std::string quant : {"q8_0", "q4_0"}) {
    const std::string file = stories260k_gguf(quant);
    const Model plain = load_model(file);
    PlannedModelOptions options;
    options.layout = RowLayout::interleaved;
    PlannedModel interleaved(file, options);
    EXPECT_EQ(interleaved.model().weights.layers[0].wq.type,
              quant == "q8_0" ? WeightType::q8_0x8 : WeightType::q4_0x8);
    // llama.cpp's convention: a Q4_0 model's classifier is Q8_0.
    EXPECT_EQ(interleaved.model().weights.classifier.type, WeightType::q8_0x8);
    Transformer reference(plain, static_cast<int>(kTokens.size()));
    const std::vector<float> expected = sequential_logits(reference, kTokens);
    for_each_path([&](KernelPath path) {
      ThreadPool pool(2);
      Transformer t(interleaved.model(), static_cast<int>(kTokens.size()), &pool, 4,
                    &interleaved.weights(), Logits::all);
      std::vector<float> logits;
      for (std::size_t done = 0; done < kTokens.size(); done += 4) {
        const std::size_t n = std::min<std::size_t>(4, kTokens.size() - done);
        const std::span<float> l =
            t.forward_batch(std::span(kTokens).subspan(done, n), static_cast<int>(done), Logits::all);
        logits.insert(logits.end(), l.begin(), l.end());
      }
      EXPECT_EQ(bits_of(logits), bits_of(expected)) << quant << " " << to_string(path);
    });
  }
}

// llama.cpp's greedy text for the Q4_0 model (tests/data/gguf), and llama2.c's for Q8_0, on
// every path.
TEST(Kernels, EveryPathWritesTheRecordedText) {
  const std::string llama2c = read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt"));
  const std::string q4_0 = read_text(data_path("gguf/llamacpp-q4_0-greedy-lily.txt"));
  for (const char* quant : {"q8_0", "q4_0"}) {
    const std::string path = stories260k_gguf(quant);
    for (const KernelPath path_kind : kernels::supported_kernel_paths()) {
      const CliResult r = run_cli({"run", path, "-t", "0", "-n", "120", "-i",
                                   "Lily and Ben went to the", "--kernels",
                                   kernels::to_string(path_kind)});
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(r.out, std::string(quant) == "q4_0" ? q4_0 : llama2c)
          << quant << " " << to_string(path_kind);
    }
  }
}

// Batches of 4 (so 11 positions run as 4 + 4 + 3), with and without threads: every position's
// logits and the positions decoded after the batch are the bits of one position at a time.
TEST(Kernels, BatchedPrefillIsSequentialDecoding) {
  for (const char* quant : {"f32", "q8_0", "q4_0"}) {
    const Model model = stories260k_as(quant);
    Transformer one(model, 16);
    const std::vector<float> expected = sequential_logits(one, kTokens);
    const std::size_t vocab = static_cast<std::size_t>(model.config().vocab_size);
    ThreadPool pool(3);
    for (ThreadPool* threads : {static_cast<ThreadPool*>(nullptr), &pool}) {
      Transformer batched(model, 16, threads, 4, nullptr, Logits::all);
      std::vector<float> logits;
      for (std::size_t done = 0; done < kTokens.size(); done += 4) {
        const std::size_t n = std::min<std::size_t>(4, kTokens.size() - done);
        const std::span<float> l = batched.forward_batch(std::span(kTokens).subspan(done, n),
                                                         static_cast<int>(done), Logits::all);
        ASSERT_EQ(l.size(), n * vocab);
        logits.insert(logits.end(), l.begin(), l.end());
      }
      EXPECT_EQ(bits_of(logits), bits_of(expected)) << quant;
      // The cache the batches wrote serves the next position.
      const std::span<float> next = batched.forward(42, static_cast<int>(kTokens.size()));
      const std::span<float> next_one = one.forward(42, static_cast<int>(kTokens.size()));
      EXPECT_EQ(bits_of(next), bits_of(next_one)) << quant;
      // prefill() returns the last position's logits.
      Transformer again(model, 16, threads, 4);
      const std::span<float> last = again.prefill(kTokens, 0);
      EXPECT_EQ(bits_of(last), bits_of(std::span(expected).last(vocab))) << quant;
    }
  }
}

// A batch that does not fit, or every position's logits from a transformer planned to keep the
// last position's only, is an error, not a write past its arena.
TEST(Kernels, BatchesOutsideThePlanAreErrors) {
  const Model model = stories260k_as("q8_0");
  Transformer last_only(model, 16, nullptr, 4);
  const std::vector<int> four(kTokens.begin(), kTokens.begin() + 4);
  EXPECT_THROW(last_only.forward_batch(four, 0, Logits::all), Error);
  EXPECT_EQ(last_only.forward_batch(four, 0, Logits::last).size(),
            static_cast<std::size_t>(model.config().vocab_size));
  const std::vector<int> five(kTokens.begin(), kTokens.begin() + 5);
  EXPECT_THROW(last_only.forward_batch(five, 0, Logits::last), Error);  // more than max_batch
  EXPECT_THROW(last_only.forward_batch(four, 13, Logits::last), Error);  // past max_positions
}

// eval gives the same number for any thread count and kernel path.
TEST(Kernels, EvalIsTheSameForAnyThreadsAndPath) {
  const std::string path = scratch_path("kernels-eval.txt");
  const std::string text =
      "Once upon a time, there was a little girl named Lily. She liked to play outside. One day "
      "she saw a big red ball in the park and she ran to get it.";
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  write_bytes(path, bytes);
  const std::string model = stories260k_gguf("q8_0");
  auto bits_per_byte = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"eval", model, "--data", path, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    const std::size_t at = r.out.find("\"bits_per_byte\": ");
    EXPECT_NE(at, std::string::npos) << r.out;
    return r.out.substr(at, r.out.find(',', at) - at);
  };
  const std::string one = bits_per_byte({"--threads", "1", "--kernels", "scalar"});
  EXPECT_EQ(one.substr(0, 17), "\"bits_per_byte\": ");
  EXPECT_EQ(bits_per_byte({"--threads", "3"}), one);
  EXPECT_EQ(bits_per_byte({"--threads", "2", "--kernels",
                           kernels::to_string(kernels::supported_kernel_paths().back())}),
            one);
}

}  // namespace
}  // namespace shoehorn::test
