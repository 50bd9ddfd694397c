// llama2.c checkpoints: the header and tensor table of the shared model, and exact round trips
// through every version and byte order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/model/dequantize.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/io/size.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

const std::vector<std::byte>& stories260k_bytes() {
  static const std::vector<std::byte> bytes = read_bytes(shared_path("models/stories260K.bin"));
  return bytes;
}

Model load_bytes(const std::string& name, const std::vector<std::byte>& bytes) {
  const MemorySource source(name, bytes);
  return load_resident(read_model_file(source), source);
}

TEST(Llama2c, ReadsStories260KHeaderAndTable) {
  const MemorySource source("stories260K.bin", stories260k_bytes());
  const ModelFile f = read_model_file(source);
  EXPECT_EQ(f.format, "llama2.c v0 (legacy fp32)");
  EXPECT_EQ(f.byte_order, ByteOrder::little);
  EXPECT_EQ(f.config.dim, 64);
  EXPECT_EQ(f.config.hidden_dim, 172);
  EXPECT_EQ(f.config.n_layers, 5);
  EXPECT_EQ(f.config.n_heads, 8);
  EXPECT_EQ(f.config.n_kv_heads, 4);
  EXPECT_EQ(f.config.vocab_size, 512);
  EXPECT_EQ(f.config.seq_len, 512);
  EXPECT_TRUE(f.shared_classifier);
  ASSERT_EQ(f.tensors.size(), 47u);
  EXPECT_EQ(f.tensors[0].name, "token_embd.weight");
  EXPECT_EQ(f.tensors[0].offset, 28u);
  EXPECT_EQ(f.tensors[0].bytes, 512u * 64 * 4);
  EXPECT_EQ(f.tensors[1].name, "blk.0.attn_norm.weight");
  EXPECT_EQ(f.tensors.back().name, "output_norm.weight");
  // Everything after the final norm is the two RoPE tables: 2 x 512 x 4 floats.
  EXPECT_EQ(f.tensors.back().offset + f.tensors.back().bytes + 2u * 512 * 4 * 4, f.file_size);
}

// The first `bytes` of two files agree.
void expect_same_prefix(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
                        std::size_t bytes) {
  ASSERT_GE(a.size(), bytes);
  ASSERT_GE(b.size(), bytes);
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(bytes), b.begin()));
}

TEST(Llama2c, V0WriterReproducesTheExportedWeights) {
  const Model model = load_bytes("stories260K.bin", stories260k_bytes());
  const std::vector<std::byte> written = write_llama2c(model, {});
  ASSERT_EQ(written.size(), stories260k_bytes().size());
  // Byte-identical up to the RoPE tables (which run.c never reads; PyTorch computed the
  // originals, so their last bits differ from libm's).
  const TensorInfo& last = model.file.tensors.back();
  expect_same_prefix(written, stories260k_bytes(), to_size(last.offset + last.bytes, last.name));
}

void expect_same_weights(const Model& a, const Model& b) {
  auto same = [](const Matrix& x, const Matrix& y) { return dequantize(x) == dequantize(y); };
  EXPECT_TRUE(same(a.weights.token_embedding, b.weights.token_embedding));
  EXPECT_TRUE(same(a.weights.classifier, b.weights.classifier));
  ASSERT_EQ(a.weights.layers.size(), b.weights.layers.size());
  for (std::size_t l = 0; l < a.weights.layers.size(); ++l) {
    const LayerWeights& x = a.weights.layers[l];
    const LayerWeights& y = b.weights.layers[l];
    EXPECT_TRUE(std::equal(x.attn_norm.begin(), x.attn_norm.end(), y.attn_norm.begin()));
    EXPECT_TRUE(std::equal(x.ffn_norm.begin(), x.ffn_norm.end(), y.ffn_norm.begin()));
    for (const auto m : {&LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv,
                         &LayerWeights::wo, &LayerWeights::w1, &LayerWeights::w2,
                         &LayerWeights::w3}) {
      EXPECT_TRUE(same(x.*m, y.*m)) << "layer " << l;
    }
  }
  EXPECT_TRUE(std::equal(a.weights.final_norm.begin(), a.weights.final_norm.end(),
                         b.weights.final_norm.begin()));
}

TEST(Llama2c, RoundTripsEveryVersionAndByteOrder) {
  const Model shared = load_bytes("stories260K.bin", stories260k_bytes());
  const Model separate = random_model(Config{48, 128, 2, 6, 3, 512, 64}, false, 5);
  for (const Model* model : {&shared, &separate}) {
    for (const Llama2cVersion version : {Llama2cVersion::v0, Llama2cVersion::v1}) {
      for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        const std::vector<std::byte> bytes = write_llama2c(*model, {version, order, 64});
        const Model back = load_bytes("written.bin", bytes);
        EXPECT_EQ(back.file.byte_order, order);
        EXPECT_EQ(back.file.shared_classifier, model->file.shared_classifier);
        expect_same_weights(*model, back);
        // And writing what was read gives the same bytes again.
        EXPECT_EQ(write_llama2c(back, {version, order, 64}), bytes);
      }
    }
  }
}

TEST(Llama2c, Version2QuantizesLikeExportPy) {
  const Model model = load_bytes("stories260K.bin", stories260k_bytes());
  const std::vector<std::byte> little = write_llama2c(model, {Llama2cVersion::v2, ByteOrder::little, 64});
  const std::vector<std::byte> big = write_llama2c(model, {Llama2cVersion::v2, ByteOrder::big, 64});
  EXPECT_EQ(little.size(), 521728u);  // group size 64 halves to 4 for hidden_dim 172
  EXPECT_EQ(load_u32(little.data() + 37, ByteOrder::little), 4u);
  const Model q = load_bytes("v2.bin", little);
  const Model q_big = load_bytes("v2-be.bin", big);
  expect_same_weights(q, q_big);
  EXPECT_EQ(write_llama2c(q, {Llama2cVersion::v2, ByteOrder::little, 64}), little);
  // Every weight within half a quantization step of the original.
  const std::vector<float> original = dequantize(model.weights.layers[2].w2);
  const std::vector<float> restored = dequantize(q.weights.layers[2].w2);
  const Matrix& m = q.weights.layers[2].w2;
  for (std::size_t i = 0; i < original.size(); ++i) {
    const float scale = m.scales[i / static_cast<std::size_t>(m.group_size)];
    EXPECT_LE(std::fabs(original[i] - restored[i]), scale * 0.5001f) << i;
  }
}

TEST(Llama2c, DetectsAWholeFileByteSwappedByHand) {
  // What the Xbox 360 port did: every 4-byte value of the v0 file swapped.
  std::vector<std::byte> swapped = stories260k_bytes();
  for (std::size_t i = 0; i + 4 <= swapped.size(); i += 4) std::reverse(&swapped[i], &swapped[i + 4]);
  const Model be = load_bytes("swapped.bin", swapped);
  EXPECT_EQ(be.file.byte_order, ByteOrder::big);
  expect_same_weights(load_bytes("stories260K.bin", stories260k_bytes()), be);
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn::test {
namespace {

TEST(Transformer, KvCacheIsSizedByTheRequestedPositions) {
  const Model model = load_model(shared_path("models/stories260K.bin"));
  const Transformer few(model, 10);
  const Transformer all(model, 512);
  // Per position: key and value caches (n_layers x kv_dim floats each, 5 x 32 here) and the
  // attention scores (n_heads floats, 8 here).
  EXPECT_EQ(all.state_bytes() - few.state_bytes(), (2u * 5 * 32 + 8) * (512 - 10) * 4);
  EXPECT_LT(few.state_bytes(), 64u * 1024);
}

}  // namespace
}  // namespace shoehorn::test
