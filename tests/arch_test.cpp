// Architectures beyond llama2.c's: qwen2 (q, k, v biases; NEOX pairs) and Llama 3's RoPE
// factors (rope_freqs.weight), checked against a plain double-precision forward pass written
// here from the models' definitions; their GGUF keys and tensors; the public shapes `init`
// writes; streamed weights giving the bits of resident ones.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/io/size.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

// A tiny model: 4 heads of 8 (4 RoPE pairs each), 2 kv heads, 2 layers.
Config tiny(Architecture arch, bool qkv_bias, bool rope_freqs) {
  Config c{32, 64, 2, 4, 2, 64, 16, 10000.0f, 1e-5f};
  c.arch = arch;
  c.qkv_bias = qkv_bias;
  c.rope_freqs = rope_freqs;
  return c;
}
const std::vector<float> kFactors = {1.0f, 2.0f, 5.0f, 32.0f};
const std::vector<int> kTokens = {3, 17, 42, 5, 63, 0, 29, 11};

// ---- The reference: every step in double, straight from the definitions ----------------------

double at(const Matrix& m, int row, int col) {
  return m.blocks<float>()[static_cast<std::size_t>(row) * m.cols + col];
}

std::vector<double> times(const Matrix& m, const std::vector<double>& x) {
  std::vector<double> out(static_cast<std::size_t>(m.rows), 0.0);
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) out[r] += at(m, r, c) * x[c];
  }
  return out;
}

std::vector<double> rmsnorm(const std::vector<double>& x, std::span<const float> w, double eps) {
  double ss = 0.0;
  for (const double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * w[i];
  return out;
}

void add(std::vector<double>& x, std::span<const float> bias) {
  for (std::size_t i = 0; i < bias.size(); ++i) x[i] += bias[i];
}

// How the reference rotates: which elements pair up, and whether it divides by the factors.
struct RefRope {
  bool neox;
  bool use_factors;
};

// Rotates each head of v at position pos: pair i is (i, i + half) for NEOX, else (2i, 2i + 1);
// its angle pos * theta^(-2i / head_size), divided by rope_freqs[i] when used.
void rope(std::vector<double>& v, int heads, int head_size, int pos, const Config& c,
          std::span<const float> factors, RefRope how) {
  const int half = head_size / 2;
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < half; ++i) {
      double angle = pos * std::pow(static_cast<double>(c.rope_theta), -2.0 * i / head_size);
      if (how.use_factors && !factors.empty()) angle /= factors[i];
      const int a = h * head_size + (how.neox ? i : 2 * i);
      const int b = how.neox ? a + half : a + 1;
      const double x0 = v[a], x1 = v[b];
      v[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
      v[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
    }
  }
}

// Every position's logits for tokens, one position after another.
std::vector<std::vector<double>> reference_logits(const Model& m, const std::vector<int>& tokens,
                                                  RefRope how) {
  const Config& c = m.config();
  const Weights& w = m.weights;
  const int hs = c.head_size(), group = c.n_heads / c.n_kv_heads;
  std::vector<std::vector<std::vector<double>>> keys(c.n_layers), values(c.n_layers);
  std::vector<std::vector<double>> all;
  for (int pos = 0; pos < static_cast<int>(tokens.size()); ++pos) {
    std::vector<double> x(c.dim);
    for (int i = 0; i < c.dim; ++i) x[i] = at(w.token_embedding, tokens[pos], i);
    for (int l = 0; l < c.n_layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      const std::vector<double> xb = rmsnorm(x, lw.attn_norm, c.norm_eps);
      std::vector<double> q = times(lw.wq, xb), k = times(lw.wk, xb), v = times(lw.wv, xb);
      add(q, lw.q_bias);
      add(k, lw.k_bias);
      add(v, lw.v_bias);
      rope(q, c.n_heads, hs, pos, c, w.rope_freqs, how);
      rope(k, c.n_kv_heads, hs, pos, c, w.rope_freqs, how);
      keys[l].push_back(k);
      values[l].push_back(v);
      std::vector<double> mixed(c.dim, 0.0);
      for (int h = 0; h < c.n_heads; ++h) {
        const int kv = h / group;
        std::vector<double> score(pos + 1);
        for (int t = 0; t <= pos; ++t) {
          double dot = 0.0;
          for (int i = 0; i < hs; ++i) dot += q[h * hs + i] * keys[l][t][kv * hs + i];
          score[t] = dot / std::sqrt(static_cast<double>(hs));
        }
        const double top = *std::max_element(score.begin(), score.end());
        double sum = 0.0;
        for (double& s : score) sum += (s = std::exp(s - top));
        for (int t = 0; t <= pos; ++t) {
          for (int i = 0; i < hs; ++i) mixed[h * hs + i] += score[t] / sum * values[l][t][kv * hs + i];
        }
      }
      const std::vector<double> attended = times(lw.wo, mixed);
      for (int i = 0; i < c.dim; ++i) x[i] += attended[i];
      const std::vector<double> xn = rmsnorm(x, lw.ffn_norm, c.norm_eps);
      std::vector<double> gate = times(lw.w1, xn);
      const std::vector<double> up = times(lw.w3, xn);
      for (std::size_t i = 0; i < gate.size(); ++i) gate[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
      const std::vector<double> down = times(lw.w2, gate);
      for (int i = 0; i < c.dim; ++i) x[i] += down[i];
    }
    all.push_back(times(w.classifier, rmsnorm(x, w.final_norm, c.norm_eps)));
  }
  return all;
}

// The largest difference between the engine's logits and the reference's, over every position.
double largest_difference(const Model& m, const std::vector<std::vector<double>>& expected) {
  Transformer t(m, static_cast<int>(kTokens.size()));
  double worst = 0.0;
  for (std::size_t pos = 0; pos < kTokens.size(); ++pos) {
    const std::span<float> logits = t.forward(kTokens[pos], static_cast<int>(pos));
    for (std::size_t i = 0; i < logits.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(logits[i]) - expected[pos][i]));
    }
  }
  return worst;
}

TEST(Arch, Qwen2BiasesAndNeoxPairsMatchTheDoubleReference) {
  const Model m = random_model(tiny(Architecture::qwen2, true, false), true, 7);
  const double error = largest_difference(m, reference_logits(m, kTokens, {true, true}));
  EXPECT_LT(error, 2e-5);
  // The reference can tell: adjacent pairs, or no biases, give other logits.
  EXPECT_GT(largest_difference(m, reference_logits(m, kTokens, {false, true})), 1e-2);
  Model unbiased = random_model(tiny(Architecture::qwen2, true, false), true, 7);
  for (LayerWeights& l : unbiased.weights.layers) l.q_bias = l.k_bias = l.v_bias = {};
  EXPECT_GT(largest_difference(m, reference_logits(unbiased, kTokens, {true, true})), 1e-2);
}

TEST(Arch, Llama3RopeFactorsMatchTheDoubleReference) {
  const Model m = random_model(tiny(Architecture::llama, false, true), true, 9, kFactors);
  ASSERT_EQ(std::vector<float>(m.weights.rope_freqs.begin(), m.weights.rope_freqs.end()), kFactors);
  EXPECT_LT(largest_difference(m, reference_logits(m, kTokens, {false, true})), 2e-5);
  EXPECT_GT(largest_difference(m, reference_logits(m, kTokens, {false, false})), 1e-2);
  EXPECT_GT(largest_difference(m, reference_logits(m, kTokens, {true, true})), 1e-2);
}

TEST(Arch, PlainLlamaStillMatchesTheDoubleReference) {
  const Model m = random_model(tiny(Architecture::llama, false, false), false, 11);
  EXPECT_LT(largest_difference(m, reference_logits(m, kTokens, {false, false})), 2e-5);
}

TEST(Arch, RopePairsAreDescribedOncePerModel) {
  const RopePairs llama = rope_pairs(tiny(Architecture::llama, false, false));
  const RopePairs qwen = rope_pairs(tiny(Architecture::qwen2, true, false));
  EXPECT_EQ(llama.step, 2);
  EXPECT_EQ(llama.partner, 1);
  EXPECT_EQ(qwen.step, 1);
  EXPECT_EQ(qwen.partner, 4);
}

TEST(Arch, BadRopeFactorsAreRefused) {
  const Model m = random_model(tiny(Architecture::llama, false, true), true, 9, {1.0f, 0.0f, 1.0f, 1.0f});
  try {
    Transformer t(m, 4);
    FAIL() << "a zero factor was taken";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "(random): rope_freqs.weight: factor 1 is 0.000000; each must be a positive finite number");
  }
}

// ---- GGUF: keys by architecture, biases, rope_freqs ---------------------------------------

std::vector<std::byte> gguf_of(const Model& m, WeightType quant = WeightType::f32) {
  VectorSink sink;
  GgufWriteOptions o;
  o.file_type = file_type_of(quant);
  write_llama_gguf(sink, m, nullptr, o);
  return sink.bytes();
}

// A GGUF of a config with some metadata and tensor records changed before it is written.
std::vector<std::byte> edited_gguf(const Config& c, bool shared,
                                   const std::function<void(std::vector<GgufKeyValue>&,
                                                            std::vector<TensorInfo>&)>& edit) {
  std::vector<GgufKeyValue> metadata = llama_metadata(c, nullptr, {});
  std::vector<TensorInfo> tensors = execution_order(c, shared);
  edit(metadata, tensors);
  std::vector<GgufWriter::Tensor> table;
  for (const TensorInfo& t : tensors) table.push_back({t.name, gguf_dims(t), 0});
  VectorSink sink;
  GgufWriter writer(sink, ByteOrder::little, metadata, std::move(table));
  for (const TensorInfo& t : tensors) {
    writer.write_tensor(encode_values(WeightType::f32, std::vector<float>(to_size(t.count(), t.name), 1.0f), ByteOrder::little));
  }
  writer.finish();
  return sink.bytes();
}

std::string load_error(const std::vector<std::byte>& bytes) {
  try {
    llama_model_file(read_gguf(MemorySource("bad.gguf", bytes)));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ArchGguf, Qwen2KeysAndBiasesLoad) {
  const Model m = random_model(tiny(Architecture::qwen2, true, false), true, 7);
  const std::vector<std::byte> bytes = gguf_of(m);
  const MemorySource source("q.gguf", bytes);
  const GgufFile gguf = read_gguf(source);
  ASSERT_NE(gguf.find("general.architecture"), nullptr);
  EXPECT_EQ(*gguf.find("general.architecture")->value.as_string(), "qwen2");
  EXPECT_NE(gguf.find("qwen2.embedding_length"), nullptr);
  EXPECT_NE(gguf.find("qwen2.attention.head_count_kv"), nullptr);
  EXPECT_EQ(gguf.find("llama.embedding_length"), nullptr);
  const ModelFile file = llama_model_file(gguf);
  EXPECT_EQ(file.format, "GGUF v3 (qwen2, F32)");
  EXPECT_EQ(file.config.arch, Architecture::qwen2);
  EXPECT_TRUE(file.config.qkv_bias);
  EXPECT_FALSE(file.config.rope_freqs);
  EXPECT_TRUE(file.shared_classifier);
  // token_embd, 2 x (norm, q, k, v, 3 biases, o, norm, 3 ffn), output_norm.
  ASSERT_EQ(file.tensors.size(), 1u + 2 * 12 + 1);
  EXPECT_EQ(file.tensors[5].name, "blk.0.attn_q.bias");
  EXPECT_EQ(file.tensors[5].cols, 32);
  EXPECT_EQ(file.tensors[6].name, "blk.0.attn_k.bias");
  EXPECT_EQ(file.tensors[6].cols, 16);
  EXPECT_EQ(file.tensors[7].name, "blk.0.attn_v.bias");
  EXPECT_EQ(gguf.tensors[7].dims, std::vector<std::uint64_t>{16});
  // The biases come back with their values, and the loaded model runs as the random one does.
  const Model loaded = load_resident(file, source);
  ASSERT_EQ(loaded.weights.layers[1].k_bias.size(), 16u);
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(loaded.weights.layers[1].k_bias[i], m.weights.layers[1].k_bias[i]);
  }
  Transformer a(m, 4), b(loaded, 4);
  for (int pos = 0; pos < 4; ++pos) {
    const std::span<float> x = a.forward(kTokens[pos], pos), y = b.forward(kTokens[pos], pos);
    ASSERT_EQ(std::memcmp(x.data(), y.data(), x.size_bytes()), 0) << pos;
  }
}

TEST(ArchGguf, Llama3RopeFreqsLoad) {
  const Model m = random_model(tiny(Architecture::llama, false, true), true, 9, kFactors);
  const std::vector<std::byte> bytes = gguf_of(m, WeightType::q8_0);
  const MemorySource source("l.gguf", bytes);
  const ModelFile file = llama_model_file(read_gguf(source));
  EXPECT_EQ(file.config.arch, Architecture::llama);
  EXPECT_TRUE(file.config.rope_freqs);
  EXPECT_FALSE(file.config.qkv_bias);
  ASSERT_EQ(file.tensors[1].name, "rope_freqs.weight");
  EXPECT_EQ(file.tensors[1].type, WeightType::f32);
  EXPECT_EQ(file.tensors[1].cols, 4);
  const Model loaded = load_resident(file, source);
  EXPECT_EQ(std::vector<float>(loaded.weights.rope_freqs.begin(), loaded.weights.rope_freqs.end()), kFactors);
}

TEST(ArchGguf, WhatDoesNotFitIsALocatedError) {
  const Config qwen = tiny(Architecture::qwen2, true, false);
  auto set = [](std::vector<GgufKeyValue>& m, const std::string& key, GgufValue v) {
    for (GgufKeyValue& kv : m) {
      if (kv.key == key) {
        kv.value = std::move(v);
        return;
      }
    }
    GgufKeyValue kv;
    kv.key = key;
    kv.value = std::move(v);
    m.push_back(std::move(kv));
  };
  auto text = [](const char* s) {
    GgufValue v;
    v.v = std::string(s);
    return v;
  };
  auto u32 = [](std::uint32_t n) {
    GgufValue v;
    v.v = n;
    return v;
  };
  struct Case {
    std::function<void(std::vector<GgufKeyValue>&, std::vector<TensorInfo>&)> edit;
    const char* expected;
  };
  const Case cases[] = {
      {[](auto&, auto&) {}, ""},
      {[&](auto& m, auto&) { set(m, "general.architecture", text("gemma")); },
       "architecture 'gemma' is not supported (shoehorn runs 'llama' and 'qwen2')"},
      // A qwen2 file is read by its own keys: llama.* ones do not stand in.
      {[&](auto& m, auto&) {
         for (GgufKeyValue& kv : m) {
           if (kv.key.rfind("qwen2.", 0) == 0) kv.key = "llama." + kv.key.substr(6);
         }
       },
       "metadata at offset 24: no key 'qwen2.embedding_length'"},
      {[](auto&, auto& t) { std::erase_if(t, [](const TensorInfo& x) { return x.name == "blk.1.attn_k.bias"; }); },
       "no tensor 'blk.1.attn_k.bias'"},
      {[](auto&, auto& t) { t[6].cols = 32; }, "tensor 'blk.0.attn_k.bias' at offset"},
      {[&](auto& m, auto&) { set(m, "qwen2.attention.key_length", u32(16)); },
       "metadata 'qwen2.attention.key_length' at offset"},
      {[&](auto& m, auto&) { set(m, "qwen2.attention.value_length", u32(16)); },
       "heads of a width other than embedding_length / head_count (8) are not supported"},
      {[&](auto& m, auto&) { set(m, "qwen2.rope.scaling.type", text("yarn")); }, "RoPE scaling is not supported"},
      {[&](auto& m, auto&) { set(m, "qwen2.rope.dimension_count", u32(4)); }, "partial rotary embeddings"},
      {[](auto&, auto& t) { t[2].name = "blk.0.attn_output.bias"; }, "not a tensor of a qwen2 model"},
      // llama.cpp's qwen2 reads no rope_freqs.
      {[](auto&, auto& t) {
         TensorInfo f;
         f.name = "rope_freqs.weight";
         f.role = TensorRole::rope_freqs;
         f.cols = 4;
         t.push_back(f);
       },
       "tensor 'rope_freqs.weight' at offset"},
  };
  for (const Case& c : cases) {
    const std::string message = load_error(edited_gguf(qwen, true, c.edit));
    if (std::string(c.expected).empty()) {
      EXPECT_EQ(message, "");
      continue;
    }
    expect_located(message, "bad.gguf");
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  }
  // key_length equal to the head size is what llama.cpp's converter writes: it loads.
  EXPECT_EQ(load_error(edited_gguf(qwen, true, [&](auto& m, auto&) { set(m, "qwen2.attention.key_length", u32(8)); })), "");
  // A rope_freqs of the wrong length.
  const Config llama3 = tiny(Architecture::llama, false, true);
  const std::string wrong = load_error(edited_gguf(llama3, true, [](auto&, auto& t) { t[1].cols = 8; }));
  EXPECT_NE(wrong.find("tensor 'rope_freqs.weight' at offset"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("shape [8] but the config needs [4]"), std::string::npos) << wrong;
}

TEST(ArchGguf, Llama2cAndBakeRefuseWhatTheyCannotHold) {
  const Model m = random_model(tiny(Architecture::qwen2, true, false), true, 7);
  try {
    write_llama2c(m, {});
    FAIL() << "a qwen2 model was written as llama2.c";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "llama2.c checkpoints hold llama2.c's llama only, not a model of architecture qwen2 with q, k, v biases (write GGUF)");
  }
  Config c = tiny(Architecture::llama, false, true);
  c.vocab_size = 512;
  const std::string path = scratch_path("arch-bake-" + std::to_string(::getpid()) + ".gguf");
  VectorSink sink;
  write_llama_gguf(sink, random_model(c, true, 9, kFactors), nullptr, {});
  write_bytes(path, sink.bytes());
  const CliResult r = run_cli({"bake", path, "-z", shared_path("models/tok512.bin"), "-o", path + ".hpp"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(path + ": a model of architecture llama with rope_freqs does not bake: the compile-time engine runs llama2.c's llama only"),
            std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(path + ".hpp"));
  std::filesystem::remove(path);
}

// ---- init's public shapes -----------------------------------------------------------------

std::uint64_t parameters(const NamedShape& s, bool count_rope_freqs) {
  std::uint64_t n = 0;
  for (const TensorInfo& t : execution_order(s.config, s.shared_classifier)) {
    if (t.role != TensorRole::rope_freqs || count_rope_freqs) n += t.count();
  }
  return n;
}

TEST(ArchShapes, PublicShapesHaveTheirModelsParameters) {
  struct Expected {
    const char* name;
    std::uint64_t parameters;  // as Hugging Face counts them (tied embeddings once)
    std::size_t tensors;
  };
  // Llama-3.2-1B: 128256 x 2048 embedding + 16 x (2 x 2048^2 + 2 x 512 x 2048 + 3 x 8192 x 2048
  // + 2 x 2048) + 2048. Qwen2.5-0.5B: 151936 x 896 + 24 x (2 x 896^2 + 2 x 128 x 896 + 896 +
  // 2 x 128 + 3 x 4864 x 896 + 2 x 896) + 896.
  const Expected expected[] = {
      {"smollm2-135m", 134'515'008, 1 + 30 * 9 + 1},
      {"smollm2-360m", 361'821'120, 1 + 32 * 9 + 1},
      {"llama3.2-1b", 1'235'814'400, 1 + 1 + 16 * 9 + 1},
      {"qwen2.5-0.5b", 494'032'768, 1 + 24 * 12 + 1},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    const NamedShape* s = find_shape(e.name);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(check_config(s->config), std::nullopt);
    EXPECT_TRUE(s->shared_classifier);
    EXPECT_EQ(parameters(*s, false), e.parameters);
    EXPECT_EQ(execution_order(s->config, s->shared_classifier).size(), e.tensors);
  }
  const NamedShape& llama = *find_shape("llama3.2-1b");
  EXPECT_EQ(parameters(llama, true), 1'235'814'400u + 32);
  EXPECT_EQ(llama.config.head_size(), 64);
  EXPECT_EQ(llama.config.kv_dim(), 512);
  EXPECT_EQ(llama.config.seq_len, 131072);
  EXPECT_EQ(llama.config.rope_theta, 500000.0f);
  const NamedShape& qwen = *find_shape("qwen2.5-0.5b");
  EXPECT_EQ(qwen.config.arch, Architecture::qwen2);
  EXPECT_TRUE(qwen.config.qkv_bias);
  EXPECT_EQ(qwen.config.kv_dim(), 128);
  EXPECT_EQ(qwen.config.norm_eps, 1e-6f);
  EXPECT_EQ(qwen.config.rope_theta, 1000000.0f);
  EXPECT_EQ(qwen.config.seq_len, 32768);
  const std::vector<TensorInfo> order = execution_order(qwen.config, true);
  EXPECT_EQ(order[1].name, "blk.0.attn_norm.weight");
  EXPECT_EQ(order[5].name, "blk.0.attn_q.bias");
  EXPECT_EQ(order[5].count(), 896u);
  EXPECT_EQ(order[6].name, "blk.0.attn_k.bias");
  EXPECT_EQ(order[6].count(), 128u);
  EXPECT_EQ(order.back().name, "output_norm.weight");
}

// Llama 3.2's factors (theta 500000, head 64, factor 32, low 1, high 4, original context 8192),
// recomputed here in double from the converter's formula.
TEST(ArchShapes, Llama3FactorsAreTheConvertersFormula) {
  const NamedShape& s = *find_shape("llama3.2-1b");
  const std::vector<float> factors = s.rope_factors(s.config);
  ASSERT_EQ(factors.size(), 32u);
  const double pi = 3.14159265358979323846;
  int ones = 0, full = 0;
  for (int i = 0; i < 32; ++i) {
    const double wavelength = 2 * pi * std::pow(500000.0, 2.0 * i / 64.0);
    double expected = 32.0;
    if (wavelength < 8192.0 / 4) {
      expected = 1.0;
    } else if (wavelength <= 8192.0) {
      const double smooth = (8192.0 / wavelength - 1.0) / (4.0 - 1.0);
      expected = 1.0 / ((1 - smooth) / 32.0 + smooth);
    }
    EXPECT_NEAR(factors[i], expected, expected * 1e-5) << i;
    ones += factors[i] == 1.0f;
    full += factors[i] == 32.0f;
  }
  EXPECT_EQ(ones, 15);
  EXPECT_EQ(full, 14);
  EXPECT_TRUE(find_shape("qwen2.5-0.5b")->rope_factors(find_shape("qwen2.5-0.5b")->config).empty());
}

// init writes what llama.cpp reads as that architecture: its keys, its tensors, and the
// shape's RoPE factors (at the real head size, so the real model's values).
TEST(ArchShapes, InitWritesTheArchitecture) {
  const std::string qwen = scratch_path("arch-init-" + std::to_string(::getpid()) + "-qwen.gguf");
  const std::string llama = scratch_path("arch-init-" + std::to_string(::getpid()) + "-llama.gguf");
  const std::vector<std::string> small = {"--dim", "256", "--heads", "4", "--kv-heads", "2", "--hidden-dim",
                                          "128", "--layers", "2", "--vocab", "512", "--seq-len", "64",
                                          "-z", shared_path("models/tok512.bin")};
  for (const auto& [shape, path] : {std::pair{"qwen2.5-0.5b", qwen}, {"llama3.2-1b", llama}}) {
    std::vector<std::string> args = {"init", "--shape", shape, "-o", path};
    args.insert(args.end(), small.begin(), small.end());
    const CliResult r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const FileSource q(qwen);
  const GgufFile qg = read_gguf(q);
  EXPECT_EQ(*qg.find("general.architecture")->value.as_string(), "qwen2");
  EXPECT_EQ(qg.find("qwen2.attention.layer_norm_rms_epsilon")->value.as_float(), std::optional<double>(1e-6f));
  EXPECT_EQ(qg.find("qwen2.rope.freq_base")->value.as_float(), std::optional<double>(1e6));
  EXPECT_EQ(qg.tensors.size(), 1u + 2 * 12 + 1);
  EXPECT_EQ(qg.tensors[5].name, "blk.0.attn_q.bias");
  EXPECT_TRUE(std::none_of(qg.tensors.begin(), qg.tensors.end(),
                           [](const GgufTensorInfo& t) { return t.name == "output.weight"; }));

  const FileSource l(llama);
  const ModelFile lf = llama_model_file(read_gguf(l));
  EXPECT_TRUE(lf.config.rope_freqs);
  EXPECT_TRUE(lf.shared_classifier);
  const Model lm = load_resident(lf, l);
  const NamedShape& s = *find_shape("llama3.2-1b");
  EXPECT_EQ(std::vector<float>(lm.weights.rope_freqs.begin(), lm.weights.rope_freqs.end()),
            s.rope_factors(s.config));
  const CliResult run = run_cli({"run", llama, "-n", "8", "-t", "0", "-i", "Once"});
  EXPECT_EQ(run.status, 0) << run.err;
  std::filesystem::remove(qwen);
  std::filesystem::remove(llama);
}

// ---- Streamed and resident: the same bits; the plan holds the new vectors ------------------

constexpr int kPositions = 16;

std::string written(const Model& m, WeightType quant, const std::string& name) {
  const std::string path = scratch_path("arch") + "-" + std::to_string(::getpid()) + "-" + name;
  write_bytes(path, gguf_of(m, quant));
  return path;
}

std::vector<std::vector<float>> run_logits(Transformer& t) {
  std::vector<std::vector<float>> all;
  std::span<float> logits = t.prefill(std::span(kTokens).first(5), 0);  // in the plan's batches
  all.emplace_back(logits.begin(), logits.end());
  for (int pos = 5; pos < kPositions; ++pos) {
    const int next = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    logits = t.forward(next, pos);
    all.emplace_back(logits.begin(), logits.end());
  }
  return all;
}

void expect_streams_like_resident(const std::string& path) {
  SCOPED_TRACE(path);
  const Model resident = load_model(path);
  Transformer reference(resident, kPositions, nullptr, 8);
  const std::vector<std::vector<float>> expected = run_logits(reference);

  PlannedModelOptions o;
  o.request.positions = kPositions;
  o.request.batch = 8;
  o.request.process_bytes = 1;
  o.request.budget = 1ull << 40;
  const MemoryPlan all = plan_memory(read_model_file(FileSource(path)), o.request);
  o.request.budget = all.minimum_budget + 8 * 1024;
  PlannedModel planned(path, o);
  ASSERT_TRUE(planned.plan().streams());
  // Every vector (norms, biases, rope_freqs) stays resident and is counted there.
  std::uint64_t vectors = 0;
  const ModelFile& file = planned.model().file;
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    if (is_matrix(file.tensors[i].role)) continue;
    EXPECT_TRUE(planned.plan().resident[i]) << file.tensors[i].name;
    vectors += align_up(to_size(file.tensors[i].bytes, file.tensors[i].name), kArenaAlignment);
  }
  EXPECT_GE(planned.plan().resident_weight_bytes, vectors);
  Transformer streamed(planned.model(), kPositions, nullptr, planned.plan().batch, &planned.weights());
  const std::vector<std::vector<float>> got = run_logits(streamed);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::memcmp(got[i].data(), expected[i].data(), got[i].size() * sizeof(float)), 0) << i;
  }
  EXPECT_GT(planned.bytes_read(), 0u);
}

TEST(ArchStream, Qwen2AndLlama3StreamBitIdenticalToResident) {
  Config qwen = tiny(Architecture::qwen2, true, false);
  Config llama3 = tiny(Architecture::llama, false, true);
  for (Config* c : {&qwen, &llama3}) {
    c->dim = 64;
    c->hidden_dim = 128;
    c->vocab_size = 256;
  }
  const std::vector<float> factors = {1.0f, 1.5f, 2.0f, 3.0f, 5.0f, 8.0f, 16.0f, 32.0f};
  const std::vector<std::string> paths = {
      written(random_model(qwen, true, 3), WeightType::f32, "qwen-f32.gguf"),
      written(random_model(qwen, false, 4), WeightType::q8_0, "qwen-q8_0.gguf"),
      written(random_model(llama3, true, 5, factors), WeightType::q4_0, "llama3-q4_0.gguf"),
  };
  for (const std::string& p : paths) expect_streams_like_resident(p);
  for (const std::string& p : paths) std::filesystem::remove(p);
}

TEST(ArchStream, PlanForTargetsCountsTheVectors) {
  const Config c = tiny(Architecture::llama, true, true);  // biases and rope_freqs both
  const Model m = random_model(c, true, 3, kFactors);
  const std::string path = written(m, WeightType::f32, "plan.gguf");
  const ModelFile file = read_model_file(FileSource(path));
  // Every vector's bytes (aligned as the arena places them) are part of the resident weights.
  std::uint64_t all = 0;
  for (const TensorInfo& t : file.tensors) all += align_up(to_size(t.bytes, t.name), kArenaAlignment);
  PlanRequest request;
  request.positions = 16;
  request.process_bytes = 1;
  EXPECT_EQ(plan_memory(file, request).resident_weight_bytes, all);
  for (const char* target : {"ps2", "xbox360"}) {
    const CliResult r = run_cli({"plan", path, "--target", target, "-n", "16"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("GGUF v3 (llama, F32), 0.1 MiB of weights in 27 tensors"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("resident weights (norms, biases, rope_freqs, 15 of 15 matrices, embedding)"),
              std::string::npos) << r.out;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace shoehorn::test
