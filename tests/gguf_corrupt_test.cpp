// Bad GGUF input: every truncation, every header and record field out of range, metadata and
// tensor tables that lie, llama models that do not add up, and random damage all end in one
// Error line naming the file, the field and the offset (exit status 1 from the CLI). Under
// ASan/UBSan this also proves no bad access and no huge allocation.
#include <gtest/gtest.h>

#include <functional>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/sample/rng.hpp"
#include "shoehorn/io/size.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

// Reads bytes as a GGUF model (and its vocabulary), runs one position when it loads; returns
// the error message, or "" when everything loaded.
std::string gguf_error(std::span<const std::byte> bytes) {
  const MemorySource source("bad.gguf", bytes);
  try {
    const GgufFile file = read_gguf(source);
    (void)gguf_vocab(file);
    const Model model = load_resident(llama_model_file(file), source);
    Transformer transformer(model, 1);
    (void)transformer.forward(model.config().vocab_size - 1, 0);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// A small llama model with a 16-token vocabulary.
std::vector<std::byte> small_gguf(WeightType quant, ByteOrder order, bool shared) {
  static const Vocab vocab = read_tokenizer_bin(FileSource(shared_path("models/tok512.bin")));
  const Model model = random_model(Config{32, 64, 1, 2, 1, 16, 8}, shared, 3);
  GgufWriteOptions options;
  options.file_type = file_type_of(quant);
  options.byte_order = order;
  VectorSink sink;
  write_llama_gguf(sink, model, &vocab, options);
  return std::move(sink.bytes());
}

TEST(GgufCorrupt, TruncatedAtEveryOffset) {
  for (const WeightType quant : {WeightType::f32, WeightType::q4_0}) {
    for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
      const std::vector<std::byte> bytes = small_gguf(quant, order, quant == WeightType::f32);
      ASSERT_EQ(gguf_error(bytes), "");
      const std::uint64_t data = read_gguf(MemorySource("x", bytes)).data_offset;
      for (std::size_t length = 0; length < bytes.size(); length += length < data ? 1 : 61) {
        const std::string message = gguf_error(std::span(bytes).first(length));
        ASSERT_FALSE(message.empty()) << "length " << length;
        expect_located(message, "bad.gguf");
      }
    }
  }
}

// One u32 key "a" and one F32 tensor "t" of 2 values: the layout of gguf_test's
// ExactBytesOfASmallFile. Offsets: version 4, tensor_count 8, kv_count 16, key length 24,
// value type 33, value 37, tensor record 41 (name length), n_dims 50, dims 54, type 62,
// offset 66; data at 96.
std::vector<std::byte> tiny_file(std::vector<GgufKeyValue> metadata = {make_entry("a", std::uint32_t{7})},
                                 std::vector<GgufWriter::Tensor> tensors = {{"t", {2}, 0}}) {
  VectorSink sink;
  GgufWriter writer(sink, ByteOrder::little, metadata, tensors);
  for (const GgufTensorInfo& t : writer.tensors()) {
    writer.write_tensor(std::vector<std::byte>(static_cast<std::size_t>(t.bytes())));
  }
  return std::move(sink.bytes());
}

std::string container_error(const std::vector<std::byte>& bytes) {
  try {
    (void)read_gguf(MemorySource("bad.gguf", bytes));
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

struct Patch {
  std::size_t offset;
  int size;  // 4 or 8
  std::uint64_t value;
  const char* expected;  // in the message, with its offset
};

TEST(GgufCorrupt, EveryHeaderAndRecordField) {
  const std::vector<std::byte> good = tiny_file();
  ASSERT_EQ(container_error(good), "");
  for (const Patch& p : {
           Patch{4, 4, 1, "header version at offset 4: unsupported GGUF version 1"},
           Patch{4, 4, 4, "header version at offset 4"},
           Patch{8, 8, 1ull << 40, "header tensor_count at offset 8"},
           Patch{8, 8, 2, "tensor '' n_dims at offset 82"},
           Patch{16, 8, ~0ull, "header metadata_kv_count at offset 16"},
           Patch{24, 8, 1ull << 63, "metadata[0].key length at offset 24"},
           Patch{24, 8, 100, "metadata[0].key at offset 32: truncated"},
           Patch{33, 4, 13, "metadata 'a' type at offset 33: unknown value type 13"},
           Patch{41, 8, 1ull << 20, "tensor[0].name length at offset 41"},
           Patch{50, 4, 0, "tensor 't' n_dims at offset 50"},
           Patch{50, 4, 5, "tensor 't' n_dims at offset 50"},
           Patch{54, 8, 0, "tensor 't' dims at offset 54"},
           Patch{54, 8, 1ull << 60, "tensor 't' dims at offset 54"},
           Patch{62, 4, 4, "tensor 't' type at offset 62: unknown ggml type 4"},
           Patch{62, 4, 99, "tensor 't' type at offset 62"},
           Patch{62, 4, 8, "tensor 't' dims at offset 54: row of 2 values is not a whole number of Q8_0 blocks"},
           Patch{66, 8, 16, "tensor 't' offset at offset 66: offset 16 is not a multiple of the alignment 32"},
           Patch{66, 8, 32, "tensor 't' offset at offset 41: data of 8 bytes at 96 + 32 extends past the end"},
           Patch{66, 8, ~0ull << 5, "extends past the end"},
       }) {
    std::vector<std::byte> bytes = good;
    if (p.size == 4) {
      store_u32(bytes.data() + p.offset, static_cast<std::uint32_t>(p.value), ByteOrder::little);
    } else {
      store_u64(bytes.data() + p.offset, p.value, ByteOrder::little);
    }
    const std::string message = container_error(bytes);
    expect_located(message, "bad.gguf");
    EXPECT_NE(message.find(p.expected), std::string::npos) << message;
  }
  std::vector<std::byte> magic = good;
  magic[3] = std::byte{'G'};
  EXPECT_NE(container_error(magic).find("header magic at offset 0: not a GGUF file"), std::string::npos);
}

GgufArray nested(int depth) {
  GgufArray a;
  if (depth == 1) {
    a.items = std::vector<std::uint8_t>{1};
  } else {
    a.items = std::vector<GgufArray>{nested(depth - 1)};
  }
  return a;
}

TEST(GgufCorrupt, MetadataThatLies) {
  // Values written honestly, then their length, count, type or value made wrong.
  // Layout: key "s" (length at 24, type at 33): string length at 37, bytes at 45.
  std::vector<std::byte> text = tiny_file({make_entry("s", std::string("abc"))});
  store_u64(text.data() + 37, 1ull << 40, ByteOrder::little);
  EXPECT_NE(container_error(text).find("metadata 's' length at offset 37"), std::string::npos)
      << container_error(text);
  store_u64(text.data() + 37, 1000, ByteOrder::little);
  EXPECT_NE(container_error(text).find("metadata 's' at offset 45: truncated"), std::string::npos);

  std::vector<std::byte> flag = tiny_file({make_entry("b", true)});
  flag[37] = std::byte{2};
  EXPECT_NE(container_error(flag).find("metadata 'b' at offset 37: bool 2 is not 0 or 1"),
            std::string::npos);

  // Array: element type at 37, count at 41.
  GgufArray bytes;
  bytes.items = std::vector<std::uint8_t>{1, 2};
  std::vector<std::byte> array = tiny_file({make_entry("r", bytes)});
  store_u64(array.data() + 41, 1ull << 62, ByteOrder::little);
  EXPECT_NE(container_error(array).find("metadata 'r' count at offset 41: count 4611686018427387904 cannot fit"),
            std::string::npos) << container_error(array);
  store_u64(array.data() + 41, 2, ByteOrder::little);
  store_u32(array.data() + 37, 99, ByteOrder::little);
  EXPECT_NE(container_error(array).find("metadata 'r' element type at offset 37: unknown value type 99"),
            std::string::npos);

  EXPECT_EQ(container_error(tiny_file({make_entry("deep", nested(8))})), "");
  EXPECT_NE(container_error(tiny_file({make_entry("deep", nested(9))})).find("nested deeper than 8"),
            std::string::npos);
  EXPECT_NE(container_error(tiny_file({make_entry("a", 1.0f), make_entry("a", 2.0f)})).find("metadata key 'a' at offset 41: a second value"),
            std::string::npos);
  EXPECT_NE(container_error(tiny_file({}, {{"t", {2}, 0}, {"t", {2}, 0}})).find("tensor 't' at offset 57: a second tensor"),
            std::string::npos);

  // general.alignment: u32 at 55 (key of 17 bytes).
  std::vector<std::byte> align = tiny_file({make_entry("general.alignment", std::uint32_t{64})});
  ASSERT_EQ(read_gguf(MemorySource("x", align)).alignment, 64u);
  for (const std::uint32_t bad : {0u, 3u, 48u}) {
    store_u32(align.data() + 53, bad, ByteOrder::little);
    EXPECT_NE(container_error(align).find("metadata 'general.alignment' at offset 49: must be a u32 power of two"),
              std::string::npos) << container_error(align);
  }
  std::vector<std::byte> signed_align = tiny_file({make_entry("general.alignment", std::uint32_t{64})});
  store_u32(signed_align.data() + 49, static_cast<std::uint32_t>(GgufType::i32), ByteOrder::little);
  EXPECT_NE(container_error(signed_align).find("'general.alignment' at offset 49: must be a u32"),
            std::string::npos);
}

// A small model GGUF rewritten with its metadata or tensor table edited; tensor data is copied
// where the tensor is unchanged and zero where it is new or resized.
using Edit = std::function<void(std::vector<GgufKeyValue>&, std::vector<GgufWriter::Tensor>&)>;
std::vector<std::byte> edited(const Edit& edit) {
  const std::vector<std::byte> original = small_gguf(WeightType::q8_0, ByteOrder::little, true);
  const GgufFile file = read_gguf(MemorySource("x", original));
  std::vector<GgufKeyValue> metadata = file.metadata;
  std::vector<GgufWriter::Tensor> tensors;
  for (const GgufTensorInfo& t : file.tensors) tensors.push_back({t.name, t.dims, t.type});
  edit(metadata, tensors);
  VectorSink sink;
  GgufWriter writer(sink, ByteOrder::little, metadata, tensors);
  for (const GgufTensorInfo& t : writer.tensors()) {
    std::vector<std::byte> data(static_cast<std::size_t>(t.bytes()));
    for (const GgufTensorInfo& old : file.tensors) {
      if (old.name == t.name && old.bytes() == t.bytes()) {
        const auto from = original.begin() + static_cast<std::ptrdiff_t>(file.data_offset + old.offset);
        std::copy(from, from + static_cast<std::ptrdiff_t>(old.bytes()), data.begin());
      }
    }
    writer.write_tensor(data);
  }
  return std::move(sink.bytes());
}

GgufKeyValue* find(std::vector<GgufKeyValue>& metadata, const std::string& key) {
  for (GgufKeyValue& kv : metadata) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

Edit set(const std::string& key, GgufValue value) {
  return [key, value](std::vector<GgufKeyValue>& m, std::vector<GgufWriter::Tensor>&) {
    if (GgufKeyValue* kv = find(m, key)) {
      kv->value = value;
    } else {
      GgufKeyValue added;
      added.key = key;
      added.value = value;
      m.push_back(added);
    }
  };
}

Edit drop_key(const std::string& key) {
  return [key](std::vector<GgufKeyValue>& m, std::vector<GgufWriter::Tensor>&) {
    std::erase_if(m, [&](const GgufKeyValue& kv) { return kv.key == key; });
  };
}

Edit tensor(const std::string& name, std::function<void(GgufWriter::Tensor&)> change) {
  return [name, change](std::vector<GgufKeyValue>&, std::vector<GgufWriter::Tensor>& tensors) {
    for (GgufWriter::Tensor& t : tensors) {
      if (t.name == name) change(t);
    }
  };
}

template <class T>
GgufValue value(T v) {
  GgufValue out;
  out.v = std::move(v);
  return out;
}

TEST(GgufCorrupt, LlamaModelsThatDoNotAddUp) {
  ASSERT_EQ(gguf_error(edited([](auto&, auto&) {})), "");
  struct Case {
    Edit edit;
    const char* expected;
  };
  const Case cases[] = {
      {drop_key("llama.block_count"), "metadata at offset 24: no key 'llama.block_count'"},
      {drop_key("llama.attention.layer_norm_rms_epsilon"), "no key 'llama.attention.layer_norm_rms_epsilon'"},
      {set("general.architecture", value(std::string("gpt2"))), "architecture 'gpt2' is not supported"},
      {set("llama.attention.head_count", value(std::uint32_t{3})), "metadata 'llama.attention.head_count' at offset"},
      {set("llama.attention.head_count_kv", value(std::uint32_t{4})), "'llama.attention.head_count_kv'"},
      {set("llama.embedding_length", value(std::string("32"))), "must be a non-negative integer, not string"},
      {set("llama.block_count", value(std::int32_t{-1})), "'llama.block_count'"},
      {set("llama.context_length", value(std::uint64_t{1} << 40)), "'llama.context_length'"},
      {set("llama.rope.freq_base", value(std::string("x"))), "must be f32 or f64"},
      {set("llama.rope.freq_base", value(-1.0f)), "rope_theta: must be a positive finite number"},
      {set("llama.rope.dimension_count", value(std::uint32_t{8})), "partial rotary embeddings"},
      {set("llama.rope.scaling.type", value(std::string("linear"))), "RoPE scaling is not supported"},
      {set("llama.expert_count", value(std::uint32_t{8})), "mixture-of-experts"},
      {set("llama.vocab_size", value(std::uint32_t{17})), "tensor 'token_embd.weight' at offset"},
      {tensor("blk.0.attn_q.weight", [](auto& t) { t.name = "blk.0.attn_qq.weight"; }), "tensor 'blk.0.attn_qq.weight' at offset"},
      {tensor("blk.0.ffn_up.weight", [](auto& t) { t.name = "blk.0.attn_output.bias"; }), "not a tensor of a llama model"},
      {tensor("blk.0.attn_k.weight", [](auto& t) { t.dims = {32, 32}; }), "shape [32, 32] but the config needs [32, 16]"},
      {tensor("blk.0.attn_k.weight", [](auto& t) { t.dims = {32, 16, 2}; }), "shape [32, 16, 2]"},
      {tensor("blk.0.ffn_down.weight", [](auto& t) { t.type = 24; }), "type I8 is not supported here"},
      {tensor("output_norm.weight", [](auto& t) { t.type = 1; }), "F32 norms"},
      {[](auto&, auto& t) { t.pop_back(); }, "tensor table at offset"},
      {set("tokenizer.ggml.model", value(std::string("bert"))), "tokenizer 'bert' is not supported"},
      {set("tokenizer.ggml.model", value(std::string("gpt2"))), "no key 'tokenizer.ggml.merges'"},
      {set("tokenizer.ggml.scores", value(GgufArray{std::vector<float>{1.0f}})), "holds 1 values for 16 tokens"},
      {set("tokenizer.ggml.scores", value(GgufArray{std::vector<double>{1.0}})), "must be an array of f32"},
      {set("tokenizer.ggml.token_type", value(GgufArray{std::vector<std::int32_t>(16, 9)})), "token 0 has type 9"},
      {set("tokenizer.ggml.bos_token_id", value(std::uint32_t{16})), "'tokenizer.ggml.bos_token_id' at offset"},
      {set("tokenizer.ggml.tokens", value(GgufArray{std::vector<std::string>{}})), "holds 0 tokens"},
  };
  for (const Case& c : cases) {
    const std::string message = gguf_error(edited(c.edit));
    expect_located(message, "bad.gguf");
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  }
}

TEST(GgufCorrupt, RandomDamage) {
  const std::vector<std::byte> good = small_gguf(WeightType::q8_0, ByteOrder::big, false);
  const std::uint64_t data = read_gguf(MemorySource("x", good)).data_offset;
  Xorshift64Star rng(77);
  int loaded = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::vector<std::byte> bytes = good;
    // Mostly the header, where every byte means something.
    for (int k = 0; k < 1 + trial % 4; ++k) {
      const std::size_t at = rng.next_u32() % (trial % 5 == 0 ? bytes.size() : to_size(data, "data"));
      bytes[at] = static_cast<std::byte>(rng.next_u32() & 0xff);
    }
    const std::string message = gguf_error(bytes);
    if (message.empty()) {
      ++loaded;
      continue;
    }
    expect_located(message, "bad.gguf");
  }
  EXPECT_GT(loaded, 0);  // damage to scores or weights leaves a loadable model
}

TEST(GgufCorrupt, CliExitsWithOneLine) {
  const std::string path = scratch_path("bad-model.gguf");
  std::vector<std::byte> bytes = small_gguf(WeightType::q8_0, ByteOrder::little, true);
  bytes.pop_back();  // not resize(size() - 1): GCC 12 at -O1 warns of a huge memset
  write_bytes(path, bytes);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", path}, {"inspect", path}, {"convert", path, path + ".gguf"},
        {"eval", path, "--data", shared_path("models/tok512.bin")},
        {"run", shared_path("models/stories260K.bin"), "-z", path}}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 1) << args[0];
    EXPECT_TRUE(r.err.starts_with("shoehorn: error: " + path + ": ")) << r.err;
    EXPECT_NE(r.err.find(" at offset "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace shoehorn::test
