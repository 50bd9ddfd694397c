// llama.cpp's file types: `convert --quant NAME` chooses each tensor's type as llama-quantize
// does, checked against the files llama-quantize wrote (../shared/testdata/gguf-types: every
// t256.NAME.gguf is llama-quantize of t256.F32.gguf), and writes llama-quantize's bytes.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "shoehorn/format/file_type.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"
#include "test_util.hpp"
#include "type_test_util.hpp"

namespace shoehorn::test {
namespace {

const char* const kQuantized[] = {"F16",    "BF16",   "Q4_0",   "Q4_1",   "Q5_0",   "Q5_1",
                                  "Q8_0",   "Q2_K",   "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
                                  "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",   "IQ4_NL", "IQ4_XS",
                                  "TQ1_0",  "TQ2_0"};

std::string t256(const std::string& type) {
  return shared_path("testdata/gguf-types/t256." + type + ".gguf");
}

const ModelFile& t256_f32() {
  static const ModelFile file = read_model_file(FileSource(t256("F32")));
  return file;
}

// Each tensor's ggml type in a file, by name.
std::map<std::string, std::uint32_t> tensor_types(const GgufFile& file) {
  std::map<std::string, std::uint32_t> types;
  for (const GgufTensorInfo& t : file.tensors) types[t.name] = t.type;
  return types;
}

GgufFile read_gguf_bytes(const std::vector<std::byte>& bytes) {
  return read_gguf(MemorySource("ours.gguf", bytes));
}

TEST(FileType, EveryTensorTypeIsLlamaQuantizes) {
  const ModelFile& f32 = t256_f32();
  for (const char* name : kQuantized) {
    const std::optional<FileType> file_type = parse_file_type(name);
    ASSERT_TRUE(file_type) << name;
    const std::map<std::string, std::uint32_t> written =
        tensor_types(read_gguf(FileSource(t256(name))));
    ASSERT_EQ(written.size(), f32.tensors.size()) << name;
    for (const TensorInfo& t : f32.tensors) {
      const WeightType chosen = file_tensor_type(*file_type, t, f32.config, f32.shared_classifier);
      EXPECT_EQ(ggml_type_name(static_cast<std::uint32_t>(traits(chosen).ggml_id)),
                ggml_type_name(written.at(t.name)))
          << name << " " << t.name;
    }
  }
}

TEST(FileType, NamesIdsAndAliases) {
  EXPECT_EQ(parse_file_type("q4_k_m")->id, 15u);
  EXPECT_EQ(parse_file_type("Q4_K")->id, 15u);  // llama-quantize's alias
  EXPECT_EQ(parse_file_type("q3_k")->id, 12u);
  EXPECT_EQ(parse_file_type("q5_k")->id, 17u);
  EXPECT_EQ(parse_file_type("tq2_0")->id, 37u);
  EXPECT_EQ(parse_file_type("bf16")->id, 32u);
  EXPECT_FALSE(parse_file_type("q8_1"));  // activations only
  EXPECT_FALSE(parse_file_type("iq2_xxs"));  // needs an importance matrix: not written
  EXPECT_EQ(file_type_of(WeightType::q4_k).id, 15u);
  EXPECT_EQ(file_type_of(WeightType::q8_0).id, 7u);
  EXPECT_EQ(file_type_of(WeightType::f32).id, 0u);
  EXPECT_STREQ(file_type_by_id(15)->name, "Q4_K_M");
  EXPECT_EQ(file_type_by_id(4), nullptr);  // Q4_1_SOME_F16: not one llama-quantize writes
  // A file is named by its general.file_type, not by the type most of its matrices have.
  for (const char* name : kQuantized) {
    EXPECT_EQ(read_model_file(FileSource(t256(name))).format, std::string("GGUF v3 (llama, ") + name + ")");
  }
}

// The fallbacks, which t256 (rows of 256 and 768) never needs: SmolLM2-135M's rows of 576 are
// not whole 256-blocks. Expected types follow llama_tensor_get_type (llama-quant.cpp, February
// 2025) step by step.
TEST(FileType, RowsThatAreNotWholeSuperBlocksFallBackAsLlamaQuantizeDoes) {
  Config smollm;
  smollm.dim = 576;
  smollm.hidden_dim = 1536;
  smollm.n_layers = 30;
  smollm.n_heads = 9;
  smollm.n_kv_heads = 3;
  smollm.vocab_size = 49152;
  smollm.seq_len = 8192;
  auto type_of = [&](const char* file_type, TensorRole role, int layer) {
    TensorInfo t;
    t.role = role;
    t.layer = layer;
    const TensorShape shape = tensor_shape(smollm, role);
    t.rows = shape.rows;
    t.cols = shape.cols;
    return file_tensor_type(*parse_file_type(file_type), t, smollm, /*shared_classifier=*/true);
  };
  using R = TensorRole;
  // The shared embedding is the classifier: rows of 576 are not Q4_K blocks, so Q8_0.
  EXPECT_EQ(type_of("Q4_K_M", R::token_embedding, -1), WeightType::q8_0);
  EXPECT_EQ(type_of("Q4_K_M", R::wq, 3), WeightType::q5_0);          // Q4_K -> Q5_0
  EXPECT_EQ(type_of("Q4_K_M", R::wv, 0), WeightType::q8_0);          // more bits: Q6_K -> Q8_0
  EXPECT_EQ(type_of("Q4_K_M", R::wv, 4), WeightType::q5_0);          // (4 - 3) % 3 != 2
  EXPECT_EQ(type_of("Q4_K_M", R::w2, 5), WeightType::q6_k);          // rows of 1536: whole
  EXPECT_EQ(type_of("Q4_K_M", R::w2, 4), WeightType::q4_k);
  EXPECT_EQ(type_of("Q5_K_M", R::wq, 3), WeightType::q5_1);          // Q5_K -> Q5_1
  EXPECT_EQ(type_of("Q3_K_S", R::w1, 3), WeightType::iq4_nl);        // Q3_K -> IQ4_NL
  EXPECT_EQ(type_of("IQ4_XS", R::w3, 3), WeightType::iq4_nl);
  EXPECT_EQ(type_of("IQ4_XS", R::wv, 3), WeightType::iq4_nl);        // gqa 3 < 4: no Q5_K
  EXPECT_EQ(type_of("TQ2_0", R::wq, 3), WeightType::q4_0);           // ternary -> Q4_0
  EXPECT_EQ(type_of("TQ2_0", R::w2, 3), WeightType::tq2_0);
  EXPECT_EQ(type_of("Q6_K", R::wo, 3), WeightType::q8_0);
  EXPECT_EQ(type_of("Q4_0", R::wq, 3), WeightType::q4_0);
  EXPECT_EQ(type_of("Q4_0", R::attn_norm, 3), WeightType::f32);
  // Where llama-quantize gives up (a legacy type whose rows are not whole 32-blocks), F16.
  smollm.hidden_dim = 1544;
  EXPECT_EQ(type_of("Q4_0", R::w2, 3), WeightType::f16);
}

// The bytes: convert of llama.cpp's F32 file gives llama-quantize's file, tensor for tensor.
// Under an emulator, five of the twenty (the K mixes, a legacy type with a minimum, a
// non-linear one and a ternary one): each quantizer's bytes are checked there by the type tests.
TEST(FileType, ConvertWritesLlamaQuantizesBytes) {
  const FileSource f32_source(t256("F32"));
  const Model model = load_resident(read_model_file(f32_source), f32_source);
  const std::vector<const char*> emulated = {"Q3_K_L", "Q4_K_M", "Q5_1", "IQ4_NL", "TQ2_0"};
  const std::vector<const char*> all(std::begin(kQuantized), std::end(kQuantized));
  for (const char* name : kEmulated ? emulated : all) {
    GgufWriteOptions options;
    options.file_type = *parse_file_type(name);
    VectorSink sink;
    write_llama_gguf(sink, model, nullptr, options);
    const GgufFile ours = read_gguf_bytes(sink.bytes());
    const FileSource theirs_source(t256(name));
    const GgufFile theirs = read_gguf(theirs_source);
    const std::map<std::string, std::uint32_t> types = tensor_types(theirs);
    for (const GgufTensorInfo& t : ours.tensors) {
      const GgufTensorInfo* match = nullptr;
      for (const GgufTensorInfo& u : theirs.tensors) {
        if (u.name == t.name) match = &u;
      }
      ASSERT_NE(match, nullptr) << name << " " << t.name;
      ASSERT_EQ(t.type, match->type) << name << " " << t.name;
      std::vector<std::byte> expected(static_cast<std::size_t>(match->bytes()));
      theirs_source.read(theirs.data_offset + match->offset, expected);
      const auto at = sink.bytes().begin() + static_cast<std::ptrdiff_t>(ours.data_offset + t.offset);
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(), at))
          << name << " " << t.name << ": not llama-quantize's bytes";
    }
    EXPECT_EQ(ours.find("general.file_type")->value, theirs.find("general.file_type")->value)
        << name;
  }
}

}  // namespace
}  // namespace shoehorn::test
