#include "shoehorn/format/llama2c.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/dequantize.hpp"
#include "shoehorn/quant/round.hpp"

namespace shoehorn {

namespace {

constexpr std::array<const char*, 7> kConfigFields = {
    "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
constexpr int kMaxGroupSize = 1 << 16;

struct Header {
  Llama2cVersion version = Llama2cVersion::v0;
  ByteOrder order = ByteOrder::little;
  std::uint64_t config_offset = 0;  // where the 7 ints start
  std::uint64_t data_offset = 0;    // where the weights start
  std::array<std::int32_t, 7> fields{};
  bool shared_classifier = true;
  int group_size = 0;
};

std::array<std::byte, kLlama2cHeaderBytes> read_prefix(const ByteSource& source,
                                                        std::size_t& available) {
  std::array<std::byte, kLlama2cHeaderBytes> bytes{};
  available = static_cast<std::size_t>(std::min<std::uint64_t>(source.size(), bytes.size()));
  source.read(0, std::span(bytes).first(available));
  return bytes;
}

std::uint64_t config_field_offset(const Header& h, int index) {
  return h.config_offset + 4 * static_cast<std::uint64_t>(index);
}

// Turns the 7 raw ints into a Config, reporting the first bad field at its offset.
Config make_config(const ByteSource& source, const Header& h) {
  Config c;
  c.dim = h.fields[0];
  c.hidden_dim = h.fields[1];
  c.n_layers = h.fields[2];
  c.n_heads = h.fields[3];
  c.n_kv_heads = h.fields[4];
  // v0 marks a separate classifier with a negative vocab_size.
  const std::int64_t vocab = h.fields[5];
  c.vocab_size = static_cast<int>(std::min<std::int64_t>(vocab < 0 ? -vocab : vocab, kMaxVocab + 1));
  c.seq_len = h.fields[6];
  if (const auto problem = check_config(c)) {
    int index = 0;
    for (int i = 0; i < 7; ++i) {
      if (problem->field == kConfigFields[static_cast<std::size_t>(i)]) index = i;
    }
    fail_at(source.name(), "header field '" + problem->field + "'", config_field_offset(h, index),
            problem->what);
  }
  return c;
}

// The tensor table in file order, with offsets from data_offset.
std::vector<TensorInfo> layout(const Header& h, const Config& c) {
  std::vector<TensorInfo> tensors;
  std::uint64_t offset = h.data_offset;
  const bool quantized = h.version == Llama2cVersion::v2;
  auto add = [&](TensorRole role, int layer, int rows, int cols, bool matrix) {
    TensorInfo t;
    t.role = role;
    t.layer = layer;
    t.name = tensor_name(role, layer);
    t.rows = rows;
    t.cols = cols;
    t.type = matrix && quantized ? WeightType::q8_group : WeightType::f32;
    t.group_size = t.type == WeightType::q8_group ? h.group_size : 0;
    t.offset = offset;
    t.bytes = stored_bytes(t.type, t.count(), t.group_size);
    offset += t.bytes;
    tensors.push_back(std::move(t));
  };
  auto add_layers = [&](TensorRole role, int rows, int cols, bool matrix) {
    for (int l = 0; l < c.n_layers; ++l) add(role, l, rows, cols, matrix);
  };
  const int dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  auto add_matrices = [&] {
    add_layers(TensorRole::wq, dim, dim, true);
    add_layers(TensorRole::wk, kv_dim, dim, true);
    add_layers(TensorRole::wv, kv_dim, dim, true);
    add_layers(TensorRole::wo, dim, dim, true);
  };
  auto add_ffn = [&] {
    add_layers(TensorRole::w1, hidden, dim, true);
    add_layers(TensorRole::w2, dim, hidden, true);
    add_layers(TensorRole::w3, hidden, dim, true);
  };
  if (h.version == Llama2cVersion::v0) {
    add(TensorRole::token_embedding, -1, c.vocab_size, dim, true);
    add_layers(TensorRole::attn_norm, 1, dim, false);
    add_matrices();
    add_layers(TensorRole::ffn_norm, 1, dim, false);
    add_ffn();
    add(TensorRole::final_norm, -1, 1, dim, false);
    // Two RoPE tables (cos, sin) that run.c skips: seq_len x head_size / 2 floats each.
    offset += 2 * 4 * static_cast<std::uint64_t>(c.seq_len) * (c.head_size() / 2);
  } else {
    add_layers(TensorRole::attn_norm, 1, dim, false);
    add_layers(TensorRole::ffn_norm, 1, dim, false);
    add(TensorRole::final_norm, -1, 1, dim, false);
    add(TensorRole::token_embedding, -1, c.vocab_size, dim, true);
    add_matrices();
    add_ffn();
  }
  if (!h.shared_classifier) add(TensorRole::classifier, -1, c.vocab_size, dim, true);
  return tensors;
}

std::uint64_t end_of(const std::vector<TensorInfo>& tensors, const Header& h, const Config& c) {
  std::uint64_t end = tensors.back().offset + tensors.back().bytes;
  if (h.version == Llama2cVersion::v0 && h.shared_classifier) {
    end += 2 * 4 * static_cast<std::uint64_t>(c.seq_len) * (c.head_size() / 2);
  }
  return end;
}

Header parse_header(const ByteSource& source, ByteOrder order) {
  std::size_t available = 0;
  const auto prefix = read_prefix(source, available);
  ByteCursor in(source.name(), std::span(prefix).first(available), order);
  Header h;
  h.order = order;
  if (in.has(4) && load_u32(prefix.data(), order) == kLlama2cMagic) {
    in.skip(4, "magic");
    const std::uint64_t version_offset = in.offset();
    const std::int32_t version = in.i32("header field 'version'");
    if (version != 1 && version != 2) {
      fail_at(source.name(), "header field 'version'", version_offset,
              "unsupported llama2.c version " + std::to_string(version) + " (known: 1, 2)");
    }
    h.version = version == 1 ? Llama2cVersion::v1 : Llama2cVersion::v2;
    h.config_offset = in.offset();
    for (std::size_t i = 0; i < 7; ++i) {
      h.fields[i] = in.i32(std::string("header field '") + kConfigFields[i] + "'");
    }
    const std::uint64_t shared_offset = in.offset();
    const std::uint8_t shared = in.u8("header field 'shared_classifier'");
    if (shared > 1) {
      fail_at(source.name(), "header field 'shared_classifier'", shared_offset,
              "value " + std::to_string(shared) + " is not 0 or 1");
    }
    h.shared_classifier = shared == 1;
    if (h.version == Llama2cVersion::v2) {
      const std::uint64_t gs_offset = in.offset();
      h.group_size = in.i32("header field 'group_size'");
      if (h.group_size < 1 || h.group_size > kMaxGroupSize) {
        fail_at(source.name(), "header field 'group_size'", gs_offset,
                "value " + std::to_string(h.group_size) + " is outside 1.." +
                    std::to_string(kMaxGroupSize));
      }
    }
    in.need(kLlama2cHeaderBytes - in.offset(), "header padding");
    h.data_offset = kLlama2cHeaderBytes;
  } else {
    h.version = Llama2cVersion::v0;
    h.config_offset = 0;
    for (std::size_t i = 0; i < 7; ++i) {
      h.fields[i] = in.i32(std::string("header field '") + kConfigFields[i] + "'");
    }
    h.shared_classifier = h.fields[5] > 0;
    h.data_offset = 28;
  }
  return h;
}

ModelFile describe_file(const ByteSource& source, const Header& h) {
  const Config config = make_config(source, h);
  if (h.version == Llama2cVersion::v2) {
    for (const auto& [name, value] : {std::pair{"dim", config.dim},
                                     std::pair{"hidden_dim", config.hidden_dim}}) {
      if (value % h.group_size != 0) {
        fail_at(source.name(), "header field 'group_size'", 37,
                "group size " + std::to_string(h.group_size) + " does not divide " + name + " " +
                    std::to_string(value));
      }
    }
  }
  ModelFile file;
  file.path = source.name();
  file.byte_order = h.order;
  file.file_size = source.size();
  file.config = config;
  file.shared_classifier = h.shared_classifier;
  file.tensors = layout(h, config);
  static constexpr std::array<const char*, 3> kNames = {
      "llama2.c v0 (legacy fp32)", "llama2.c v1 (fp32)", "llama2.c v2 (int8 groups)"};
  file.format = kNames[static_cast<std::size_t>(h.version)];
  const std::uint64_t expected = end_of(file.tensors, h, config);
  if (expected != source.size()) {
    fail_at(source.name(), "file size", std::min(expected, source.size()),
            "the header (" + describe(config) + (h.shared_classifier ? ", shared" : ", separate") +
                " classifier) needs exactly " + std::to_string(expected) +
                " bytes but the file has " + std::to_string(source.size()));
  }
  return file;
}

// A header is plausible in a byte order when its config checks out and the size is exact.
bool plausible(const ByteSource& source, ByteOrder order) {
  try {
    (void)describe_file(source, parse_header(source, order));
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

bool is_llama2c(const ByteSource& source) {
  if (source.size() < 4) return false;
  std::array<std::byte, 4> magic{};
  source.read(0, magic);
  if (load_u32(magic.data(), ByteOrder::little) == kLlama2cMagic ||
      load_u32(magic.data(), ByteOrder::big) == kLlama2cMagic) {
    return true;
  }
  return plausible(source, ByteOrder::little) || plausible(source, ByteOrder::big);
}

ModelFile read_llama2c(const ByteSource& source) {
  ByteOrder order = ByteOrder::little;
  std::array<std::byte, 4> magic{};
  if (source.size() >= 4) source.read(0, magic);
  if (source.size() >= 4 && load_u32(magic.data(), ByteOrder::big) == kLlama2cMagic) {
    order = ByteOrder::big;
  } else if (source.size() < 4 || load_u32(magic.data(), ByteOrder::little) != kLlama2cMagic) {
    // v0 has no magic: take the byte order in which the header describes this very file.
    if (!plausible(source, ByteOrder::little) && plausible(source, ByteOrder::big)) {
      order = ByteOrder::big;
    }
  }
  return describe_file(source, parse_header(source, order));
}

namespace {

void put_f32s(std::vector<std::byte>& out, std::span<const float> values, ByteOrder order) {
  const std::size_t at = out.size();
  out.resize(at + values.size() * 4);
  encode_f32(values, std::span(out).subspan(at), order);
}

void put_i32(std::vector<std::byte>& out, std::int32_t v, ByteOrder order) {
  const std::size_t at = out.size();
  out.resize(at + 4);
  store_u32(out.data() + at, static_cast<std::uint32_t>(v), order);
}

// export.py's quantize_q80: scale = max|w| / 127, q = round-half-even(w / scale).
void put_q8_groups(std::vector<std::byte>& out, std::span<const float> w, int group_size,
                   ByteOrder order) {
  const std::size_t gs = static_cast<std::size_t>(group_size);
  std::vector<float> scales(w.size() / gs);
  const std::size_t at = out.size();
  out.resize(at + w.size());
  for (std::size_t g = 0; g < scales.size(); ++g) {
    float wmax = 0.0f;
    for (std::size_t i = 0; i < gs; ++i) wmax = std::max(wmax, std::fabs(w[g * gs + i]));
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    for (std::size_t i = 0; i < gs; ++i) {
      const float quant = scale == 0.0f ? 0.0f : w[g * gs + i] / scale;
      out[at + g * gs + i] = static_cast<std::byte>(round_half_even_int8(quant));
    }
  }
  put_f32s(out, scales, order);
}

}  // namespace

std::vector<std::byte> write_llama2c(const Model& model, const Llama2cWriteOptions& options) {
  const Config& c = model.config();
  const Weights& w = model.weights;
  const ByteOrder order = options.byte_order;
  const bool shared = model.file.shared_classifier;
  if (c.arch != Architecture::llama || c.qkv_bias || c.rope_freqs) {
    throw Error("llama2.c checkpoints hold llama2.c's llama only, not a model of architecture " +
                describe_architecture(c) + " (write GGUF)");
  }
  if (c.rope_theta != 10000.0f || c.norm_eps != 1e-5f) {
    throw Error("llama2.c checkpoints hold RoPE base 10000 and norm epsilon 1e-5 only; this model "
                "has " + std::to_string(c.rope_theta) + " and " + std::to_string(c.norm_eps) +
                " (write GGUF)");
  }
  int group_size = options.group_size;
  while (group_size > 1 && (c.dim % group_size != 0 || c.hidden_dim % group_size != 0)) {
    group_size /= 2;
  }

  std::vector<std::byte> out;
  auto config_ints = [&](int vocab) {
    for (const int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, vocab, c.seq_len}) {
      put_i32(out, v, order);
    }
  };
  auto vec = [&](std::span<const float> v) { put_f32s(out, v, order); };
  auto mat = [&](const Matrix& m) {
    const std::vector<float> values = dequantize(m);
    if (options.version == Llama2cVersion::v2) {
      put_q8_groups(out, values, group_size, order);
    } else {
      put_f32s(out, values, order);
    }
  };
  auto each_layer = [&](auto member) {
    for (const LayerWeights& layer : w.layers) member(layer);
  };
  auto matrices = [&] {
    each_layer([&](const LayerWeights& l) { mat(l.wq); });
    each_layer([&](const LayerWeights& l) { mat(l.wk); });
    each_layer([&](const LayerWeights& l) { mat(l.wv); });
    each_layer([&](const LayerWeights& l) { mat(l.wo); });
  };
  auto ffn = [&] {
    each_layer([&](const LayerWeights& l) { mat(l.w1); });
    each_layer([&](const LayerWeights& l) { mat(l.w2); });
    each_layer([&](const LayerWeights& l) { mat(l.w3); });
  };

  if (options.version == Llama2cVersion::v0) {
    config_ints(shared ? c.vocab_size : -c.vocab_size);
    mat(w.token_embedding);
    each_layer([&](const LayerWeights& l) { vec(l.attn_norm); });
    matrices();
    each_layer([&](const LayerWeights& l) { vec(l.ffn_norm); });
    ffn();
    vec(w.final_norm);
    // The RoPE tables run.c skips, written as model.py computes them.
    const int half = c.head_size() / 2;
    std::vector<float> cos_table, sin_table;
    for (int pos = 0; pos < c.seq_len; ++pos) {
      for (int k = 0; k < half; ++k) {
        const float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * k) / static_cast<float>(c.head_size()));
        cos_table.push_back(std::cos(static_cast<float>(pos) * freq));
        sin_table.push_back(std::sin(static_cast<float>(pos) * freq));
      }
    }
    vec(cos_table);
    vec(sin_table);
  } else {
    put_i32(out, static_cast<std::int32_t>(kLlama2cMagic), order);
    put_i32(out, options.version == Llama2cVersion::v1 ? 1 : 2, order);
    config_ints(c.vocab_size);
    out.push_back(static_cast<std::byte>(shared ? 1 : 0));
    if (options.version == Llama2cVersion::v2) put_i32(out, group_size, order);
    out.resize(kLlama2cHeaderBytes);
    each_layer([&](const LayerWeights& l) { vec(l.attn_norm); });
    each_layer([&](const LayerWeights& l) { vec(l.ffn_norm); });
    vec(w.final_norm);
    mat(w.token_embedding);
    matrices();
    ffn();
  }
  if (!shared) mat(w.classifier);
  return out;
}

}  // namespace shoehorn
