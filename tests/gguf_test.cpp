// GGUF: the files llama.cpp wrote (../shared/testdata/gguf), every metadata type in both byte
// orders, the exact layout (header, records, alignment), and llama models through every block
// format, checked against llama2.c's and llama.cpp's outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/dequantize.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/quant/f16.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

GgufFile read_gguf_bytes(const std::vector<std::byte>& bytes) {
  return read_gguf(MemorySource("test.gguf", bytes));
}

Model load_bytes(const std::vector<std::byte>& bytes) {
  const MemorySource source("test.gguf", bytes);
  return load_resident(read_model_file(source), source);
}

const Model& stories260k() {
  static const Model model = load_model(shared_path("models/stories260K.bin"));
  return model;
}

const Vocab& tok512() {
  static const Vocab vocab = read_tokenizer_bin(FileSource(shared_path("models/tok512.bin")));
  return vocab;
}

// Options that write the matrices in `type` (its plain llama.cpp file type).
GgufWriteOptions as(WeightType type, ByteOrder order = ByteOrder::little) {
  GgufWriteOptions options;
  options.file_type = file_type_of(type);
  options.byte_order = order;
  return options;
}

std::vector<std::byte> gguf_of(const Model& model, const Vocab* vocab, GgufWriteOptions options) {
  VectorSink sink;
  write_llama_gguf(sink, model, vocab, options);
  return std::move(sink.bytes());
}

std::vector<float> values_of(const Model& m, TensorRole role, int layer) {
  return dequantize(tensor_of(m.weights, role, layer));
}

TEST(GgufLlamaCpp, VocabularyIsLlama2s) {
  const GgufFile file = read_gguf(FileSource(shared_path("testdata/gguf/ggml-vocab-llama-spm.gguf")));
  EXPECT_EQ(file.version, 3u);
  EXPECT_EQ(file.byte_order, ByteOrder::little);
  EXPECT_EQ(file.metadata.size(), 22u);
  EXPECT_EQ(file.tensors.size(), 0u);
  EXPECT_EQ(*file.find("general.name")->value.as_string(), "llama-spm");
  EXPECT_EQ(file.find("tokenizer.ggml.add_bos_token")->value.type(), GgufType::boolean);

  const Vocab gguf = *gguf_vocab(file);
  const Vocab bin = read_tokenizer_bin(FileSource(shared_path("models/llama2-tok32000.bin")));
  ASSERT_EQ(gguf.size(), 32000);
  ASSERT_EQ(bin.size(), 32000);
  for (int id = 0; id < gguf.size(); ++id) {
    // llama2.c's exporter spelled BOS and EOS "\n<s>\n" and "\n</s>\n".
    const std::string expected = id == 1 ? "<s>" : id == 2 ? "</s>" : bin.piece(id);
    ASSERT_EQ(gguf.piece(id), expected) << id;
    ASSERT_EQ(gguf.score(id), bin.score(id)) << id;
    ASSERT_EQ(gguf.type(id), bin.type(id)) << id;
  }
  EXPECT_EQ(gguf.bos_id(), 1);
  EXPECT_EQ(gguf.eos_id(), 2);
  EXPECT_EQ(gguf.unk_id(), 0);
  EXPECT_EQ(gguf.max_token_length(), bin.max_token_length());

  const Tokenizer tokenizer(gguf);
  int checked = 0;
  for (const auto& row : read_table(data_path("tokenizer/llama2-hard-cases.tsv"))) {
    EXPECT_EQ(join_ids(tokenizer.encode(unescape(row[0]), false, false)), row[1]) << row[0];
    ++checked;
  }
  EXPECT_EQ(checked, 75);
}

TEST(GgufLlamaCpp, Stories260KConvertedByLlamaCpp) {
  const std::string path = shared_path("testdata/gguf/stories260K.llamacpp.f32.gguf");
  const GgufFile file = read_gguf(FileSource(path));
  EXPECT_EQ(file.data_offset, 14176u);  // 14152 bytes of header, padded to 32
  ASSERT_EQ(file.tensors.size(), 48u);
  EXPECT_EQ(file.tensors[0].name, "token_embd.weight");
  EXPECT_EQ(file.tensors[0].dims, (std::vector<std::uint64_t>{64, 512}));
  EXPECT_EQ(file.tensors[2].name, "output.weight");
  EXPECT_EQ(file.tensors[2].offset, 131328u);

  const Model model = load_model(path);
  const Config& c = model.config();
  const Config& ref = stories260k().config();
  EXPECT_EQ(model.file.format, "GGUF v3 (llama, F32)");
  EXPECT_EQ(std::tie(c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size),
            std::tie(ref.dim, ref.hidden_dim, ref.n_layers, ref.n_heads, ref.n_kv_heads,
                     ref.vocab_size));
  EXPECT_EQ(c.seq_len, 128);  // llama.cpp's converter's default context
  EXPECT_FALSE(model.file.shared_classifier);
  // The same numbers as the llama2.c checkpoint, the copied classifier included.
  for (const TensorInfo& t : execution_order(c, true)) {
    EXPECT_EQ(values_of(model, t.role, t.layer), values_of(stories260k(), t.role, t.layer)) << t.name;
  }
  EXPECT_EQ(values_of(model, TensorRole::classifier, -1),
            values_of(stories260k(), TensorRole::token_embedding, -1));

  // And the tokenizer inside it: llama.cpp's greedy text is llama2.c's.
  const CliResult r = run_cli({"run", path, "-t", "0", "-n", "120", "-i", "Lily and Ben went to the"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt")));
}

std::vector<GgufKeyValue> every_type() {
  return {
      make_entry("u8", std::uint8_t{200}),
      make_entry("i8", std::int8_t{-100}),
      make_entry("u16", std::uint16_t{60000}),
      make_entry("i16", std::int16_t{-30000}),
      make_entry("u32", std::uint32_t{4000000000u}),
      make_entry("i32", std::int32_t{-2000000000}),
      make_entry("f32", 1.5f),
      make_entry("bool", true),
      make_entry("string", std::string("h\xC3\xA9llo")),
      make_entry("empty string", std::string()),
      make_entry("u64", std::uint64_t{1} << 60),
      make_entry("i64", -(std::int64_t{1} << 60)),
      make_entry("f64", -0.125),
      make_entry("array.u8", make_array(std::vector<std::uint8_t>{1, 2, 255})),
      make_entry("array.i8", make_array(std::vector<std::int8_t>{-1, 0, 1})),
      make_entry("array.u16", make_array(std::vector<std::uint16_t>{1, 65535})),
      make_entry("array.i16", make_array(std::vector<std::int16_t>{-32768, 32767})),
      make_entry("array.u32", make_array(std::vector<std::uint32_t>{7})),
      make_entry("array.i32", make_array(std::vector<std::int32_t>{-7, 7})),
      make_entry("array.f32", make_array(std::vector<float>{0.25f, -3.0f})),
      make_entry("array.bool", make_array(std::vector<bool>{true, false, true})),
      make_entry("array.string", make_array(std::vector<std::string>{"a", "", "\xE2\x96\x81" "b"})),
      make_entry("array.u64", make_array(std::vector<std::uint64_t>{0, ~std::uint64_t{0}})),
      make_entry("array.i64", make_array(std::vector<std::int64_t>{-1})),
      make_entry("array.f64", make_array(std::vector<double>{1e300})),
      make_entry("array.empty", make_array(std::vector<float>{})),
      make_entry("array.array", make_array(std::vector<GgufArray>{
                             make_array(std::vector<std::uint8_t>{1}),
                             make_array(std::vector<std::string>{"x", "y"}),
                             make_array(std::vector<GgufArray>{make_array(std::vector<bool>{false})})})),
  };
}

std::vector<std::byte> small_file(ByteOrder order, const std::vector<GgufKeyValue>& metadata) {
  VectorSink sink;
  GgufWriter writer(sink, order, metadata,
                    {{"t", {2}, static_cast<std::uint32_t>(traits(WeightType::f32).ggml_id)},
                     {"q", {32, 2}, static_cast<std::uint32_t>(traits(WeightType::q8_0).ggml_id)}});
  writer.write_tensor(encode_values(WeightType::f32, std::vector<float>{1.0f, 2.0f}, order));
  writer.write_tensor(encode_values(WeightType::q8_0, std::vector<float>(64, 0.5f), order));
  writer.finish();
  return std::move(sink.bytes());
}

TEST(Gguf, EveryValueTypeRoundTripsInBothByteOrders) {
  const std::vector<GgufKeyValue> metadata = every_type();
  for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    const std::vector<std::byte> bytes = small_file(order, metadata);
    const GgufFile file = read_gguf_bytes(bytes);
    EXPECT_EQ(file.byte_order, order);
    ASSERT_EQ(file.metadata.size(), metadata.size());
    for (std::size_t i = 0; i < metadata.size(); ++i) {
      EXPECT_EQ(file.metadata[i].key, metadata[i].key);
      EXPECT_EQ(file.metadata[i].value, metadata[i].value) << metadata[i].key;
    }
    ASSERT_EQ(file.tensors.size(), 2u);
    EXPECT_EQ(file.tensors[1].name, "q");
    EXPECT_EQ(file.tensors[1].dims, (std::vector<std::uint64_t>{32, 2}));
    EXPECT_EQ(file.tensors[1].type, 8u);
    EXPECT_EQ(file.tensors[1].offset, 32u);  // 8 bytes of F32, padded to 32
    EXPECT_EQ(file.tensors[1].bytes(), 68u);
    EXPECT_EQ(bytes.size(), file.data_offset + 32 + 96);
  }
}

TEST(Gguf, ExactBytesOfASmallFile) {
  VectorSink sink;
  GgufWriter writer(sink, ByteOrder::little, {make_entry("a", std::uint32_t{7})},
                    {{"t", {2}, static_cast<std::uint32_t>(traits(WeightType::f32).ggml_id)}});
  writer.write_tensor(encode_values(WeightType::f32, std::vector<float>{1.0f, 2.0f}, ByteOrder::little));
  writer.finish();
  const std::vector<std::byte> le = sink.bytes();
  // magic, version 3, 1 tensor, 1 key; "a": u32 7; "t": 1 dim of 2, F32, offset 0; then padding
  // to 32 (the data starts at 96), 1.0f and 2.0f, padding to 32 again.
  std::vector<std::uint8_t> expected = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                        1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'a',
                                        4, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 't',
                                        1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  expected.resize(96, 0);
  for (const int b : {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40}) {
    expected.push_back(static_cast<std::uint8_t>(b));
  }
  expected.resize(128, 0);
  std::vector<std::uint8_t> actual;
  for (const std::byte b : le) actual.push_back(std::to_integer<std::uint8_t>(b));
  EXPECT_EQ(actual, expected);

  // Big-endian: every number reversed, the magic and the strings as they were.
  VectorSink be_sink;
  GgufWriter be(be_sink, ByteOrder::big, {make_entry("a", std::uint32_t{7})},
                {{"t", {2}, static_cast<std::uint32_t>(traits(WeightType::f32).ggml_id)}});
  be.write_tensor(encode_values(WeightType::f32, std::vector<float>{1.0f, 2.0f}, ByteOrder::big));
  std::vector<std::uint8_t> swapped = expected;
  for (const auto& [at, size] : {std::pair{4, 4}, {8, 8}, {16, 8}, {24, 8}, {33, 4}, {37, 4},
                                {41, 8}, {50, 4}, {54, 8}, {62, 4}, {66, 8}, {96, 4}, {100, 4}}) {
    std::reverse(swapped.begin() + at, swapped.begin() + at + size);
  }
  actual.clear();
  for (const std::byte b : be_sink.bytes()) actual.push_back(std::to_integer<std::uint8_t>(b));
  EXPECT_EQ(actual, swapped);
}

TEST(Gguf, AlignmentComesFromTheMetadata) {
  const Model& model = stories260k();
  const Model reference = load_bytes(gguf_of(model, nullptr, as(WeightType::q8_0)));
  for (const std::uint32_t alignment : {1u, 64u, 2048u}) {
    GgufWriteOptions options;
    options.alignment = alignment;
    options.file_type = file_type_of(WeightType::q8_0);
    const std::vector<std::byte> bytes = gguf_of(model, nullptr, options);
    const GgufFile file = read_gguf_bytes(bytes);
    EXPECT_EQ(file.alignment, alignment);
    EXPECT_EQ(file.data_offset % alignment, 0u);
    for (const GgufTensorInfo& t : file.tensors) EXPECT_EQ(t.offset % alignment, 0u) << t.name;
    EXPECT_EQ(bytes.size() % alignment, 0u);
    EXPECT_EQ(values_of(load_bytes(bytes), TensorRole::wq, 3),
              values_of(reference, TensorRole::wq, 3));
  }
}

std::string greedy_lily(const std::string& path) {
  const CliResult r = run_cli({"run", path, "-t", "0", "-n", "120", "-i", "Lily and Ben went to the"});
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

// Written by shoehorn, run by shoehorn; llama.cpp (llama-simple, February 2025) gives the same
// greedy text for each of these files (see tests/data/gguf/README.md).
TEST(Gguf, VocabularyOnlyFileInBothByteOrders) {
  const Vocab tok512 = read_tokenizer_bin(FileSource(shared_path("models/tok512.bin")));
  for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    VectorSink sink;
    write_vocab_gguf(sink, tok512, order);
    const GgufFile file = read_gguf(MemorySource("vocab.gguf", sink.bytes()));
    EXPECT_TRUE(file.tensors.empty());
    const std::optional<Vocab> vocab = gguf_vocab(file);
    ASSERT_TRUE(vocab.has_value());
    expect_gguf_vocab_is(*vocab, tok512);
  }
}

TEST(GgufModel, EveryBlockFormatAndByteOrderGivesLlamaCppsText) {
  const std::string llama2c = read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt"));
  const std::string q4_0 = read_text(data_path("gguf/llamacpp-q4_0-greedy-lily.txt"));
  for (const WeightType quant : {WeightType::f32, WeightType::f16, WeightType::q8_0, WeightType::q4_0}) {
    for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
      const std::string path = scratch_path(std::string("stories260K-") + to_string(quant) +
                                            (order == ByteOrder::big ? "-be" : "") + ".gguf");
      write_bytes(path, gguf_of(stories260k(), &tok512(), as(quant, order)));
      EXPECT_EQ(greedy_lily(path), quant == WeightType::q4_0 ? q4_0 : llama2c)
          << to_string(quant) << " " << to_string(order);
    }
  }
}

TEST(GgufModel, TensorTypesFollowLlamaCpp) {
  auto types = [](WeightType quant) {
    std::map<std::string, std::string> out;
    for (const GgufTensorInfo& t : read_gguf_bytes(gguf_of(stories260k(), nullptr, as(quant))).tensors) {
      out[t.name] = ggml_type_name(t.type);
    }
    return out;
  };
  const auto q8 = types(WeightType::q8_0);
  EXPECT_EQ(q8.size(), 47u);  // tied: no output.weight
  EXPECT_EQ(q8.count("output.weight"), 0u);
  EXPECT_EQ(q8.at("token_embd.weight"), "Q8_0");
  EXPECT_EQ(q8.at("blk.0.attn_q.weight"), "Q8_0");
  EXPECT_EQ(q8.at("blk.0.ffn_down.weight"), "F16");  // rows of 172: not whole blocks
  EXPECT_EQ(q8.at("blk.0.attn_norm.weight"), "F32");
  const auto q4 = types(WeightType::q4_0);
  EXPECT_EQ(q4.at("token_embd.weight"), "Q8_0");  // also the classifier
  EXPECT_EQ(q4.at("blk.4.ffn_up.weight"), "Q4_0");
}

TEST(GgufModel, WeightsRoundTrip) {
  const Model& model = stories260k();
  for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    const std::vector<std::byte> f32 = gguf_of(model, &tok512(), as(WeightType::f32, order));
    const Model back = load_bytes(f32);
    EXPECT_EQ(back.file.byte_order, order);
    for (const TensorInfo& t : execution_order(model.config(), true)) {
      EXPECT_EQ(values_of(back, t.role, t.layer), values_of(model, t.role, t.layer)) << t.name;
    }
    EXPECT_EQ(gguf_of(back, &tok512(), as(WeightType::f32, order)), f32);

    const Model half = load_bytes(gguf_of(model, nullptr, as(WeightType::f16, order)));
    const std::vector<float> original = values_of(model, TensorRole::w2, 1);
    const std::vector<float> rounded = values_of(half, TensorRole::w2, 1);
    for (std::size_t i = 0; i < original.size(); ++i) {
      ASSERT_EQ(rounded[i], f16_to_f32(f32_to_f16(original[i]))) << i;
    }
    // Q8_0 written again from its own values gives the same blocks.
    const std::vector<std::byte> q8 = gguf_of(model, nullptr, as(WeightType::q8_0, order));
    EXPECT_EQ(gguf_of(load_bytes(q8), nullptr, as(WeightType::q8_0, order)), q8);
  }
}

TEST(GgufModel, SeparateClassifierAndGroupedQueriesBothWays) {
  const Model model = random_model(Config{64, 128, 2, 8, 2, 512, 64}, false, 9);
  const std::vector<std::byte> bytes = gguf_of(model, nullptr, as(WeightType::f32, ByteOrder::big));
  const Model back = load_bytes(bytes);
  EXPECT_FALSE(back.file.shared_classifier);
  EXPECT_EQ(back.config().n_kv_heads, 2);
  EXPECT_EQ(values_of(back, TensorRole::classifier, -1), values_of(model, TensorRole::classifier, -1));
  // GGUF to llama2.c gives the bytes llama2.c's writer gives the original.
  EXPECT_EQ(write_llama2c(back, {}), write_llama2c(model, {}));
  // Same logits from both.
  Transformer a(model, 3), b(back, 3);
  for (int pos = 0; pos < 3; ++pos) {
    const std::span<float> la = a.forward(7 * pos + 1, pos);
    const std::span<float> lb = b.forward(7 * pos + 1, pos);
    ASSERT_TRUE(std::equal(la.begin(), la.end(), lb.begin())) << pos;
  }
}

TEST(GgufModel, RopeBaseAndNormEpsilonComeFromMetadata) {
  Config c{64, 128, 1, 4, 4, 256, 32};
  c.rope_theta = 100000.0f;
  c.norm_eps = 1e-6f;
  const Model model = random_model(c, true, 3);
  const Model back = load_bytes(gguf_of(model, nullptr, {}));
  EXPECT_EQ(back.config().rope_theta, 100000.0f);
  EXPECT_EQ(back.config().norm_eps, 1e-6f);
  // A llama2.c checkpoint cannot say either: writing one is refused, not silently wrong.
  EXPECT_THROW((void)write_llama2c(back, {}), Error);
  // The base changes the logits from the second position on.
  Config plain = c;
  plain.rope_theta = 10000.0f;
  const Model other = random_model(plain, true, 3);
  Transformer a(back, 2), b(other, 2);
  (void)a.forward(5, 0);
  (void)b.forward(5, 0);
  const std::span<float> la = a.forward(6, 1);
  const std::span<float> lb = b.forward(6, 1);
  EXPECT_FALSE(std::equal(la.begin(), la.end(), lb.begin()));
}

// The public shapes, one layer deep and with a small vocabulary (the rest of the model is the
// same per layer): GQA 9/3 with RoPE base 100000 and tied output (SmolLM2-135M), GQA 32/4 with a
// separate output (TinyLlama-1.1B).
TEST(GgufModel, PublicShapesLoadAndRun) {
  struct Case {
    const char* shape;
    const char* quant;
    int heads, kv_heads, dim, hidden;
    float rope;
    bool shared;
  };
  for (const Case& k : {Case{"smollm2-135m", "q8_0", 9, 3, 576, 1536, 100000.0f, true},
                        Case{"tinyllama-1.1b", "q4_0", 32, 4, 2048, 5632, 10000.0f, false}}) {
    const std::string path = scratch_path(std::string(k.shape) + ".gguf");
    const CliResult r = run_cli({"init", "--shape", k.shape, "--layers", "1", "--vocab", "512",
                                 "--quant", k.quant, "-o", path});
    ASSERT_EQ(r.status, 0) << r.err;
    const Model model = load_model(path);
    const Config& c = model.config();
    EXPECT_EQ(c.n_heads, k.heads);
    EXPECT_EQ(c.n_kv_heads, k.kv_heads);
    EXPECT_EQ(c.dim, k.dim);
    EXPECT_EQ(c.hidden_dim, k.hidden);
    EXPECT_EQ(c.rope_theta, k.rope);
    EXPECT_EQ(model.file.shared_classifier, k.shared);
    EXPECT_EQ(model.weights.layers[0].w2.type,
              std::string(k.quant) == "q8_0" ? WeightType::q8_0 : WeightType::q4_0);
    Transformer transformer(model, 4);
    for (int pos = 0; pos < 4; ++pos) {
      for (const float l : transformer.forward(pos + 3, pos)) ASSERT_TRUE(std::isfinite(l));
    }
  }
}

}  // namespace
}  // namespace shoehorn::test
