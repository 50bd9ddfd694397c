#include "shoehorn/format/file_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace shoehorn {

namespace {

using W = WeightType;

constexpr std::array<FileType, 22> kFileTypes = {{
    {"F32", 0, W::f32},       {"F16", 1, W::f16},       {"Q4_0", 2, W::q4_0},
    {"Q4_1", 3, W::q4_1},     {"Q8_0", 7, W::q8_0},     {"Q5_0", 8, W::q5_0},
    {"Q5_1", 9, W::q5_1},     {"Q2_K", 10, W::q2_k},    {"Q3_K_S", 11, W::q3_k},
    {"Q3_K_M", 12, W::q3_k},  {"Q3_K_L", 13, W::q3_k},  {"Q4_K_S", 14, W::q4_k},
    {"Q4_K_M", 15, W::q4_k},  {"Q5_K_S", 16, W::q5_k},  {"Q5_K_M", 17, W::q5_k},
    {"Q6_K", 18, W::q6_k},    {"Q2_K_S", 21, W::q2_k},  {"IQ4_NL", 25, W::iq4_nl},
    {"IQ4_XS", 30, W::iq4_xs}, {"BF16", 32, W::bf16},   {"TQ1_0", 36, W::tq1_0},
    {"TQ2_0", 37, W::tq2_0},
}};

struct Alias {
  const char* name;
  const char* means;
};
constexpr Alias kAliases[] = {{"Q3_K", "Q3_K_M"}, {"Q4_K", "Q4_K_M"}, {"Q5_K", "Q5_K_M"}};

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

const FileType* find_file_type(std::string_view name) {
  for (const Alias& a : kAliases) {
    if (same_name(name, a.name)) name = a.means;
  }
  for (const FileType& f : kFileTypes) {
    if (same_name(name, f.name)) return &f;
  }
  return nullptr;
}

const FileType& named(std::string_view name) { return *find_file_type(name); }

bool is(const FileType& f, const char* name) { return same_name(f.name, name); }

int block_of(W type) { return traits(type).block_values; }

// llama-quantize's layers that get more bits in the mixes: the first and last eighths, and
// every third layer between.
bool use_more_bits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// The classifier (or the embedding that serves as one), which scores every token.
W classifier_type(const FileType& f, const TensorInfo& t) {
  if (t.cols % block_of(f.base) != 0) return W::q8_0;
  return f.base == W::q8_0 ? W::q8_0 : W::q6_k;
}

W value_type(const FileType& f, const Config& c, int layer) {
  const int gqa = c.n_heads / c.n_kv_heads;
  // llama.cpp calls a llama of 80 layers with grouped-query attention "70B", and gives its
  // small attn_v more bits.
  const bool llama_70b = c.n_layers == 80 && c.n_heads != c.n_kv_heads;
  W type = f.base;
  if (is(f, "Q2_K")) type = gqa >= 4 ? W::q4_k : W::q3_k;
  else if (is(f, "Q2_K_S") && gqa >= 4) type = W::q4_k;
  else if (is(f, "Q3_K_M")) type = layer < 2 ? W::q5_k : W::q4_k;
  else if (is(f, "Q3_K_L")) type = W::q5_k;
  else if ((is(f, "IQ4_NL") || is(f, "IQ4_XS")) && gqa >= 4) type = W::q5_k;
  else if ((is(f, "Q4_K_M") || is(f, "Q5_K_M")) && use_more_bits(layer, c.n_layers)) type = W::q6_k;
  else if (is(f, "Q4_K_S") && layer < 4) type = W::q5_k;
  if (llama_70b && (type == W::q3_k || type == W::q4_k)) type = W::q5_k;
  return type;
}

W ffn_down_type(const FileType& f, const Config& c, int layer) {
  const int n = c.n_layers;
  if (is(f, "Q2_K")) return W::q3_k;
  if (is(f, "Q2_K_S")) return layer < n / 8 ? W::q4_k : f.base;
  if (is(f, "Q3_K_M")) return layer < n / 16 ? W::q5_k : W::q4_k;
  if (is(f, "Q3_K_L")) return W::q5_k;
  if (is(f, "Q4_K_M")) return use_more_bits(layer, n) ? W::q6_k : f.base;
  if ((is(f, "IQ4_NL") || is(f, "IQ4_XS")) && layer < n / 8) return W::q5_k;
  if (is(f, "Q5_K_M") && use_more_bits(layer, n)) return W::q6_k;
  if (is(f, "Q4_K_S") && layer < n / 8) return W::q5_k;
  return f.base;
}

W attention_output_type(const FileType& f) {
  if (is(f, "Q2_K")) return W::q3_k;
  if (is(f, "Q3_K_M")) return W::q4_k;
  if (is(f, "Q3_K_L")) return W::q5_k;
  return f.base;
}

// llama_tensor_get_type's choice before its fallbacks.
W chosen_type(const FileType& f, const TensorInfo& t, const Config& c, bool shared_classifier) {
  if (t.role == TensorRole::classifier ||
      (shared_classifier && t.role == TensorRole::token_embedding)) {
    return classifier_type(f, t);
  }
  switch (t.role) {
    case TensorRole::token_embedding:
      return f.base == W::tq1_0 || f.base == W::tq2_0 ? W::q4_k : f.base;
    case TensorRole::wv: return value_type(f, c, t.layer);
    case TensorRole::w2: return ffn_down_type(f, c, t.layer);
    case TensorRole::wo: return attention_output_type(f);
    default: return f.base;
  }
}

// llama-quantize's fallback for rows that are not whole blocks of the chosen type.
W fitting_type(W type, int cols) {
  if (cols % block_of(type) == 0) return type;
  switch (type) {
    case W::tq1_0:
    case W::tq2_0: type = W::q4_0; break;
    case W::q2_k:
    case W::q3_k:
    case W::iq4_xs: type = W::iq4_nl; break;
    case W::q4_k: type = W::q5_0; break;
    case W::q5_k: type = W::q5_1; break;
    case W::q6_k: type = W::q8_0; break;
    default: return W::f16;
  }
  return cols % block_of(type) == 0 ? type : W::f16;
}

}  // namespace

std::span<const FileType> file_types() { return kFileTypes; }

std::optional<FileType> parse_file_type(std::string_view name) {
  const FileType* f = find_file_type(name);
  return f != nullptr ? std::optional<FileType>(*f) : std::nullopt;
}

const FileType* file_type_by_id(std::uint64_t id) {
  for (const FileType& f : kFileTypes) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const FileType& file_type_of(WeightType base) {
  switch (base) {
    case W::q3_k: return named("Q3_K_M");
    case W::q4_k: return named("Q4_K_M");
    case W::q5_k: return named("Q5_K_M");
    default: break;
  }
  for (const FileType& f : kFileTypes) {
    if (f.base == base) return f;
  }
  return all_f32();
}

WeightType file_tensor_type(const FileType& f, const TensorInfo& t, const Config& c,
                            bool shared_classifier, bool pure) {
  if (!is_matrix(t.role)) return W::f32;
  const bool quantized = block_of(f.base) > 1;
  if (pure || !quantized) return t.cols % block_of(f.base) == 0 ? f.base : W::f16;
  return fitting_type(chosen_type(f, t, c, shared_classifier), t.cols);
}

}  // namespace shoehorn
