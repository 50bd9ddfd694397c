#include "shoehorn/ctime/bake.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <span>
#include <vector>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/ngram/model.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

namespace {

// Hex float literals round-trip every finite float exactly, whatever the compiler's decimal
// conversion does: "-0x1.8p-7f".
void put_float(std::string& out, float v) {
  char digits[32];
  const auto r = std::to_chars(digits, digits + sizeof digits, std::fabs(v), std::chars_format::hex);
  if (std::signbit(v)) out += '-';
  out += "0x";
  out.append(digits, r.ptr);
  out += 'f';
}

template <class T>
void put_int(std::string& out, T v) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, r.ptr);
}

// The initializer of T[rows][cols] (or of T[cols], when !two_d): {a, b, ...} for each row.
template <class T>
void put_rows(std::string& out, std::span<const T> values, int rows, int cols, bool two_d = true) {
  if (two_d) out += "{\n";
  for (int r = 0; r < rows; ++r) {
    out += '{';
    for (int c = 0; c < cols; ++c) {
      if (c) out += ", ";
      const T v = values[static_cast<std::size_t>(r) * cols + c];
      if constexpr (std::is_same_v<T, float>) {
        put_float(out, v);
      } else {
        put_int(out, static_cast<int>(v));
      }
    }
    out += two_d ? "},\n" : "}";
  }
  if (two_d) out += '}';
}

// A string literal of arbitrary bytes: printable ASCII as is, the rest as 3-digit octal
// escapes (which, unlike \x, end after three digits).
void put_string_literal(std::string& out, std::string_view bytes) {
  out += '"';
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\' && c != '?') {
      out += c;
    } else {
      out += '\\';
      out += static_cast<char>('0' + (u >> 6));
      out += static_cast<char>('0' + ((u >> 3) & 7));
      out += static_cast<char>('0' + (u & 7));
    }
  }
  out += '"';
}

std::string dims(std::initializer_list<int> sizes) {
  std::string out;
  for (const int s : sizes) out += "[" + std::to_string(s) + "]";
  return out;
}

// static constexpr TYPE NAME[n] = {...}; (one element, zero, when there are none: C++ has no
// empty arrays, and the struct's counts say how many are meant).
template <class T>
void put_array(std::string& out, const char* type, const char* name, std::span<const T> values) {
  out += "  static constexpr " + std::string(type) + " " + name +
         dims({std::max<int>(1, static_cast<int>(values.size()))}) + " = {";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += i % 16 ? ", " : ",\n      ";
    put_int(out, values[i]);
  }
  out += "};\n";
}

void put_int_array(std::string& out, const char* name, const std::vector<int>& values) {
  put_array<int>(out, "int", name, values);
}

// ---- the vocabulary ----

void check_vocab(const Vocab& vocab, const std::string& path) {
  // The compile-time encoder is SentencePiece's; a byte-level BPE vocabulary would bake wrong ids.
  if (vocab.bpe() != nullptr) fail(path, "a byte-level BPE vocabulary: the compile-time engine encodes SentencePiece ones");
  for (int id = 0; id < vocab.size(); ++id) {
    if (!std::isfinite(vocab.score(id))) {
      fail(path, "score of piece " + std::to_string(id) +
                     " is not finite; a baked header holds finite floats only");
    }
  }
  for (const auto& [what, id] : {std::pair{"bos", vocab.bos_id()}, {"eos", vocab.eos_id()},
                                {"unk", vocab.unk_id()}}) {
    if (id < 0 || id >= vocab.size()) {
      fail(path, std::string(what) + " id " + std::to_string(id) + " is outside the vocabulary of " +
                     std::to_string(vocab.size()));
    }
  }
}

// The ids Vocab::find can return (first id of each spelling), sorted by their bytes.
std::vector<int> lookup_table(const Vocab& vocab) {
  std::vector<int> ids;
  for (int id = 0; id < vocab.size(); ++id) {
    const TokenType t = vocab.type(id);
    if ((t == TokenType::normal || t == TokenType::user_defined || t == TokenType::unused) &&
        vocab.find(vocab.piece(id)) == id) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end(), [&](int a, int b) { return vocab.piece(a) < vocab.piece(b); });
  return ids;
}

// User-defined pieces, longest first, as the Tokenizer tries them.
std::vector<int> user_defined_ids(const Vocab& vocab) {
  std::vector<int> ids;
  for (int id = 0; id < vocab.size(); ++id) {
    if (vocab.type(id) == TokenType::user_defined) ids.push_back(id);
  }
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) {
    return vocab.piece(a).size() > vocab.piece(b).size();
  });
  return ids;
}

void put_vocab(std::string& out, const Vocab& vocab) {
  const int n = vocab.size();
  std::size_t longest = 1;
  bool has_unused = false;
  for (int id = 0; id < n; ++id) {
    longest = std::max(longest, vocab.piece(id).size());
    has_unused = has_unused || vocab.type(id) == TokenType::unused;
  }
  out += "  // The vocabulary.\n";
  out += "  static constexpr int vocab_size = " + std::to_string(n) + ";\n";
  out += "  static constexpr int bos_id = " + std::to_string(vocab.bos_id()) +
         ", eos_id = " + std::to_string(vocab.eos_id()) +
         ", unk_id = " + std::to_string(vocab.unk_id()) + ";\n";
  out += "  static constexpr int max_piece_bytes = " + std::to_string(longest) + ";\n";
  out += "  static constexpr char piece_bytes[] =\n";
  std::vector<int> offsets{0};
  for (int id = 0; id < n; ++id) {
    out += "      ";
    put_string_literal(out, vocab.piece(id));
    out += "  // " + std::to_string(id) + "\n";
    offsets.push_back(offsets.back() + static_cast<int>(vocab.piece(id).size()));
  }
  out += "      \"\";\n";
  put_int_array(out, "piece_offsets", offsets);
  out += "  static constexpr float piece_scores" + dims({n}) + " = ";
  std::vector<float> scores;
  std::vector<int> types;
  for (int id = 0; id < n; ++id) {
    scores.push_back(vocab.score(id));
    types.push_back(static_cast<int>(vocab.type(id)));
  }
  put_rows<float>(out, scores, 1, n, false);
  out += ";\n";
  out += "  static constexpr std::uint8_t piece_types" + dims({n}) + " = ";
  put_rows<int>(out, types, 1, n, false);
  out += ";\n";
  const std::vector<int> lookup = lookup_table(vocab);
  out += "  static constexpr int n_lookup = " + std::to_string(lookup.size()) + ";\n";
  put_int_array(out, "lookup", lookup);
  std::vector<int> byte_ids;
  for (int b = 0; b < 256; ++b) byte_ids.push_back(vocab.byte_id(static_cast<std::uint8_t>(b)));
  put_int_array(out, "byte_ids", byte_ids);
  const std::vector<int> user_defined = user_defined_ids(vocab);
  out += "  static constexpr int n_user_defined = " + std::to_string(user_defined.size()) + ";\n";
  put_int_array(out, "user_defined", user_defined);
  out += std::string("  static constexpr bool has_unused_pieces = ") +
         (has_unused ? "true" : "false") + ";\n";
}

// ---- the model ----

// Where value i of a tensor lies in its file: the start of its block (one byte a value for
// llama2.c's int8 groups, whose scales come after them).
std::uint64_t value_offset(const TensorInfo& t, std::uint64_t i) {
  const TypeTraits& type = traits(t.type);
  if (type.block_values == 0) return t.offset + i;
  return t.offset + i / static_cast<std::uint64_t>(type.block_values) * static_cast<std::uint64_t>(type.block_bytes);
}

// The values of a tensor (floats in memory, however the file stores them).
void check_finite(std::span<const float> values, const Model& model, const TensorInfo& t) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail_at(model.file.path, t.name, value_offset(t, i),
              "value is not finite; a baked header holds finite floats only");
    }
  }
}

// The compile-time engine is llama2.c's model: no biases, no frequency divisors, adjacent pairs.
void check_plain_llama(const Model& model) {
  const Config& c = model.config();
  if (c.arch != Architecture::llama || c.qkv_bias || c.rope_freqs) {
    fail(model.file.path, "a model of architecture " + describe_architecture(c) +
                              " does not bake: the compile-time engine runs llama2.c's llama only");
  }
}

// The float scales of a q8_group tensor, stored after its int8 values.
void check_finite_scales(std::span<const float> scales, const Model& model, const TensorInfo& t) {
  for (std::size_t i = 0; i < scales.size(); ++i) {
    if (!std::isfinite(scales[i])) {
      fail_at(model.file.path, t.name, t.offset + t.count() + 4 * i,
              "value is not finite; a baked header holds finite floats only");
    }
  }
}

// The engine computes one weight type for every matrix: F32, or llama2.c's int8 groups.
void check_type(const Matrix& m, const Model& model, const TensorInfo& t) {
  const WeightType type = model.weights.token_embedding.type;
  if (type != WeightType::f32 && type != WeightType::q8_group) {
    fail_at(model.file.path, t.name, t.offset,
            std::string("weights of type ") + to_string(type) +
                ": a baked header holds F32 or llama2.c int8 groups (dequantize first)");
  }
  if (m.type != type) {
    fail_at(model.file.path, t.name, t.offset,
            std::string("weights of type ") + to_string(m.type) + " beside a token embedding of " +
                to_string(type) + ": a baked header holds one weight type");
  }
}

// Every float a header would hold must have a literal.
void check_weights(const Model& model) {
  check_plain_llama(model);
  const Weights& w = model.weights;
  for (const TensorInfo& t : model.file.tensors) {
    const LayerWeights* layer = t.layer >= 0 ? &w.layers[static_cast<std::size_t>(t.layer)] : nullptr;
    const Matrix* m = nullptr;
    std::span<const float> vector;
    switch (t.role) {
      case TensorRole::token_embedding: m = &w.token_embedding; break;
      case TensorRole::classifier: m = &w.classifier; break;
      case TensorRole::wq: m = &layer->wq; break;
      case TensorRole::wk: m = &layer->wk; break;
      case TensorRole::wv: m = &layer->wv; break;
      case TensorRole::wo: m = &layer->wo; break;
      case TensorRole::w1: m = &layer->w1; break;
      case TensorRole::w2: m = &layer->w2; break;
      case TensorRole::w3: m = &layer->w3; break;
      case TensorRole::attn_norm: vector = layer->attn_norm; break;
      case TensorRole::ffn_norm: vector = layer->ffn_norm; break;
      case TensorRole::final_norm: vector = w.final_norm; break;
      case TensorRole::q_bias: vector = layer->q_bias; break;
      case TensorRole::k_bias: vector = layer->k_bias; break;
      case TensorRole::v_bias: vector = layer->v_bias; break;
      case TensorRole::rope_freqs: vector = w.rope_freqs; break;
    }
    if (m == nullptr) {
      check_finite(vector, model, t);
      continue;
    }
    check_type(*m, model, t);
    if (m->type == WeightType::f32) {
      check_finite({m->blocks<float>(), to_size(t.count(), t.name)}, model, t);
    } else {
      check_finite_scales({m->scales, to_size(t.count() / static_cast<std::uint64_t>(m->group_size), t.name)},
                          model, t);
    }
  }
}

std::string matrix_type(const Matrix& m) {
  return "shoehorn::ctime::Q8Matrix<" + std::to_string(m.rows) + ", " + std::to_string(m.cols) +
         ", " + std::to_string(m.group_size) + ">";
}

void put_matrix_value(std::string& out, const Matrix& m) {
  const std::size_t count = static_cast<std::size_t>(m.rows) * m.cols;
  if (m.type == WeightType::f32) {
    put_rows<float>(out, {m.blocks<float>(), count}, m.rows, m.cols);
    return;
  }
  const int groups = m.cols / m.group_size;
  out += "{";
  put_rows<std::int8_t>(out, {m.blocks<std::int8_t>(), count}, m.rows, m.cols);
  out += ",\n";
  put_rows<float>(out, {m.scales, count / static_cast<std::size_t>(m.group_size)}, m.rows, groups);
  out += "}";
}

// One matrix: static constexpr float NAME[R][C] = ...; or a Q8Matrix.
void put_matrix(std::string& out, const char* name, const Matrix& m) {
  out += "  static constexpr ";
  out += m.type == WeightType::f32 ? "float " + std::string(name) + dims({m.rows, m.cols})
                                   : matrix_type(m) + " " + name;
  out += " = ";
  put_matrix_value(out, m);
  out += ";\n";
}

// One matrix per layer: static constexpr float NAME[L][R][C] = ...; or Q8Matrix NAME[L].
template <class Member>
void put_layer_matrices(std::string& out, const char* name, const Weights& w, Member member) {
  const Matrix& first = w.layers.front().*member;
  const int layers = static_cast<int>(w.layers.size());
  out += "  static constexpr ";
  out += first.type == WeightType::f32
             ? "float " + std::string(name) + dims({layers, first.rows, first.cols})
             : matrix_type(first) + " " + name + dims({layers});
  out += " = {\n";
  for (const LayerWeights& layer : w.layers) {
    put_matrix_value(out, layer.*member);
    out += ",\n";
  }
  out += "};\n";
}

void put_layer_vectors(std::string& out, const char* name, const Weights& w,
                       std::span<const float> LayerWeights::*member) {
  const int layers = static_cast<int>(w.layers.size());
  const int n = static_cast<int>((w.layers.front().*member).size());
  std::vector<float> values;
  for (const LayerWeights& layer : w.layers) {
    values.insert(values.end(), (layer.*member).begin(), (layer.*member).end());
  }
  out += "  static constexpr float " + std::string(name) + dims({layers, n}) + " = ";
  put_rows<float>(out, values, layers, n);
  out += ";\n";
}

// cos and sin of every position's rotation angles, from the run-time engine's own functions.
void put_rope_tables(std::string& out, const Config& c) {
  const int half = c.head_size() / 2;
  std::vector<float> freq(static_cast<std::size_t>(half));
  kernels::rope_frequencies(freq, c.rope_theta, c.head_size());
  std::vector<float> cos_table(static_cast<std::size_t>(c.seq_len) * half);
  std::vector<float> sin_table(cos_table.size());
  for (int pos = 0; pos < c.seq_len; ++pos) {
    const std::size_t at = static_cast<std::size_t>(pos) * half;
    kernels::rope_angles(freq, pos, std::span(cos_table).subspan(at, half),
                         std::span(sin_table).subspan(at, half));
  }
  for (const auto& [name, table] : {std::pair{"rope_cos", &cos_table}, {"rope_sin", &sin_table}}) {
    out += "  static constexpr float " + std::string(name) + dims({c.seq_len, half}) + " = ";
    put_rows<float>(out, *table, c.seq_len, half);
    out += ";\n";
  }
}

void put_model(std::string& out, const Model& model) {
  const Config& c = model.config();
  const Weights& w = model.weights;
  const bool q8 = w.token_embedding.type == WeightType::q8_group;
  out += "  // The model: " + describe(c) + ".\n";
  for (const auto& [name, value] : {std::pair{"dim", c.dim}, {"hidden_dim", c.hidden_dim},
                                    {"n_layers", c.n_layers}, {"n_heads", c.n_heads},
                                    {"n_kv_heads", c.n_kv_heads}, {"seq_len", c.seq_len},
                                    {"group_size", q8 ? w.token_embedding.group_size : 0}}) {
    out += "  static constexpr int " + std::string(name) + " = " + std::to_string(value) + ";\n";
  }
  out += "  static constexpr float norm_eps = ";
  put_float(out, c.norm_eps);
  out += ";\n";
  put_matrix(out, "token_embedding", w.token_embedding);
  put_layer_vectors(out, "attn_norm", w, &LayerWeights::attn_norm);
  put_layer_matrices(out, "wq", w, &LayerWeights::wq);
  put_layer_matrices(out, "wk", w, &LayerWeights::wk);
  put_layer_matrices(out, "wv", w, &LayerWeights::wv);
  put_layer_matrices(out, "wo", w, &LayerWeights::wo);
  put_layer_vectors(out, "ffn_norm", w, &LayerWeights::ffn_norm);
  put_layer_matrices(out, "w1", w, &LayerWeights::w1);
  put_layer_matrices(out, "w2", w, &LayerWeights::w2);
  put_layer_matrices(out, "w3", w, &LayerWeights::w3);
  out += "  static constexpr float final_norm" + dims({c.dim}) + " = ";
  put_rows<float>(out, w.final_norm, 1, c.dim, false);
  out += ";\n";
  if (model.file.shared_classifier) {
    out += "  static constexpr const auto& classifier = token_embedding;\n";
  } else {
    put_matrix(out, "classifier", w.classifier);
  }
  put_rope_tables(out, c);
}

// The header's start, up to the struct's opening brace. `described_in` says what the struct
// holds; `engine` is the header that runs it.
std::string opening(const BakeOptions& o, const std::string& what, const char* described_in,
                    const char* engine) {
  std::string out = "// Generated by `shoehorn bake` from " + what +
                    ". Do not edit; bake it again.\n"
                    "// What it holds: src/" + described_in + ". How to run it: "
                    "docs/COMPILE_TIME.md.\n"
                    "#pragma once\n\n#include <cstdint>\n\n"
                    "#include \"" + engine + "\"\n\n"
                    "namespace shoehorn::baked {\n\n"
                    "struct " + identifier_from(o.name) + " {\n";
  return out;
}

const char* const kLlamaDescribedIn = "shoehorn/ctime/model.hpp";
const char* const kLlamaEngine = "shoehorn/ctime/engine.hpp";
const char* const kNgramEngine = "shoehorn/ctime/ngram.hpp";
const char* const kClosing = "};\n\n}  // namespace shoehorn::baked\n";

// ---- an n-gram model ----

// The model file's fields and tables, byte for byte (ctime/ngram.hpp lists them).
void put_ngram(std::string& out, const ngram::Model& model) {
  out += "  // A byte n-gram model: order " + std::to_string(model.order) + ", " +
         std::to_string(model.alphabet_size()) + " symbols, " + std::to_string(model.image.size()) +
         " bytes of tables.\n";
  out += "  static constexpr int order = " + std::to_string(model.order) + ";\n";
  out += "  static constexpr std::uint32_t rom_budget = " + std::to_string(model.rom_budget) + ";\n";
  out += "  static constexpr char start[] = ";
  put_string_literal(out, model.start);
  out += ";\n";
  put_array<std::uint16_t>(out, "std::uint16_t", "qvalue", model.qvalue);
  std::vector<std::uint32_t> offsets, counts, wrap_begin{0}, wraps;
  for (const ngram::Level& level : model.levels) {
    offsets.push_back(level.offset);
    counts.push_back(level.count);
    wraps.insert(wraps.end(), level.wraps.begin(), level.wraps.end());
    wrap_begin.push_back(static_cast<std::uint32_t>(wraps.size()));
  }
  put_array<std::uint32_t>(out, "std::uint32_t", "level_offset", offsets);
  put_array<std::uint32_t>(out, "std::uint32_t", "level_count", counts);
  put_array<std::uint32_t>(out, "std::uint32_t", "wrap_begin", wrap_begin);
  put_array<std::uint32_t>(out, "std::uint32_t", "wraps", wraps);
  std::vector<unsigned> image;
  for (const std::byte b : model.image) image.push_back(std::to_integer<unsigned>(b));
  put_array<unsigned>(out, "std::uint8_t", "image", image);
}

}  // namespace

std::string identifier_from(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

std::string bake_header(const Model& model, const Vocab& vocab, const BakeOptions& options) {
  check_weights(model);
  check_vocab(vocab, options.vocab_path);
  std::string out = opening(options, options.model_path + " and " + options.vocab_path, kLlamaDescribedIn, kLlamaEngine);
  put_vocab(out, vocab);
  out += '\n';
  put_model(out, model);
  out += kClosing;
  return out;
}

std::string bake_vocab_header(const Vocab& vocab, const BakeOptions& options) {
  check_vocab(vocab, options.vocab_path);
  std::string out = opening(options, options.vocab_path, kLlamaDescribedIn, kLlamaEngine);
  put_vocab(out, vocab);
  out += kClosing;
  return out;
}

std::string bake_ngram_header(const ngram::Model& model, const BakeOptions& options) {
  std::string out = opening(options, options.model_path, kNgramEngine, kNgramEngine);
  put_ngram(out, model);
  out += kClosing;
  return out;
}

}  // namespace shoehorn
