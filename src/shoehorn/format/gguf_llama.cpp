#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/pack.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>
#include <unordered_map>

#include "shoehorn/io/error.hpp"
#include "shoehorn/model/dequantize.hpp"
#include "shoehorn/quant/blocks.hpp"
#include "shoehorn/tokenizer/bpe.hpp"
#include "shoehorn/tokenizer/pretokenize.hpp"
#include "shoehorn/tokenizer/utf8.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

namespace {

constexpr std::uint64_t kMetadataOffset = 24;  // magic, version, two counts

// Typed access to the metadata, with errors at the value's offset.
class Keys {
 public:
  explicit Keys(const GgufFile& file) : file_(file) {}

  const GgufKeyValue* find(const std::string& key) const { return file_.find(key); }

  const GgufKeyValue& require(const std::string& key) const {
    const GgufKeyValue* kv = find(key);
    if (kv == nullptr) fail_at(file_.path, "metadata", kMetadataOffset, "no key '" + key + "'");
    return *kv;
  }

  [[noreturn]] void bad(const GgufKeyValue& kv, const std::string& what) const {
    fail_at(file_.path, "metadata '" + kv.key + "'", kv.offset, what);
  }

  std::uint64_t uint(const GgufKeyValue& kv, std::uint64_t max) const {
    const std::optional<std::uint64_t> v = kv.value.as_uint();
    if (!v) bad(kv, std::string("must be a non-negative integer, not ") + to_string(kv.value.type()));
    if (*v > max) bad(kv, "value " + std::to_string(*v) + " is above " + std::to_string(max));
    return *v;
  }
  int count(const std::string& key, int max) const {
    return static_cast<int>(uint(require(key), static_cast<std::uint64_t>(max)));
  }

  float real(const GgufKeyValue& kv) const {
    const std::optional<double> v = kv.value.as_float();
    if (!v) bad(kv, std::string("must be f32 or f64, not ") + to_string(kv.value.type()));
    return static_cast<float>(*v);
  }

  const std::string& string(const GgufKeyValue& kv) const {
    const std::string* s = kv.value.as_string();
    if (s == nullptr) bad(kv, std::string("must be a string, not ") + to_string(kv.value.type()));
    return *s;
  }

  template <class T>
  const std::vector<T>& array(const GgufKeyValue& kv, const char* element) const {
    const GgufArray* a = kv.value.as_array();
    const std::vector<T>* items = a != nullptr ? a->as<T>() : nullptr;
    if (items == nullptr) bad(kv, std::string("must be an array of ") + element);
    return *items;
  }

 private:
  const GgufFile& file_;
};

struct ConfigKeys {
  Config config;
  std::map<std::string, std::string> key_of_field;  // Config field -> metadata key
};

Architecture read_architecture(const Keys& keys) {
  const GgufKeyValue& kv = keys.require("general.architecture");
  const std::string& arch = keys.string(kv);
  for (const Architecture a : {Architecture::llama, Architecture::qwen2}) {
    if (arch == to_string(a)) return a;
  }
  keys.bad(kv, "architecture '" + arch + "' is not supported (shoehorn runs 'llama' and 'qwen2')");
}

bool has_tensor(const GgufFile& file, const std::string& name) {
  return std::any_of(file.tensors.begin(), file.tensors.end(),
                     [&](const GgufTensorInfo& t) { return t.name == name; });
}

ConfigKeys read_config(const GgufFile& file, const Keys& keys) {
  ConfigKeys out;
  Config& c = out.config;
  c.arch = read_architecture(keys);
  const std::string prefix = std::string(to_string(c.arch)) + ".";
  auto key = [&](const char* field, const std::string& name) {
    out.key_of_field[field] = prefix + name;
    return prefix + name;
  };
  // qwen2 always has q, k and v biases; a llama file may (llama.cpp reads them when present).
  c.qkv_bias = c.arch == Architecture::qwen2 ||
               has_tensor(file, tensor_name(TensorRole::q_bias, 0));
  // llama.cpp reads rope_freqs for llama only (qwen2's scaling would be YaRN, a key).
  c.rope_freqs = c.arch == Architecture::llama &&
                 has_tensor(file, tensor_name(TensorRole::rope_freqs, -1));
  // Up to one past each limit, so that check_config names the field that is out of range.
  c.dim = keys.count(key("dim", "embedding_length"), kMaxDim + 1);
  c.hidden_dim = keys.count(key("hidden_dim", "feed_forward_length"), kMaxHiddenDim + 1);
  c.n_layers = keys.count(key("n_layers", "block_count"), kMaxLayers + 1);
  c.n_heads = keys.count(key("n_heads", "attention.head_count"), kMaxHeads + 1);
  c.seq_len = keys.count(key("seq_len", "context_length"), kMaxSeqLen + 1);
  const GgufKeyValue* kv_heads = keys.find(key("n_kv_heads", "attention.head_count_kv"));
  c.n_kv_heads = kv_heads != nullptr ? static_cast<int>(keys.uint(*kv_heads, kMaxHeads + 1))
                                     : c.n_heads;
  const GgufKeyValue* theta = keys.find(key("rope_theta", "rope.freq_base"));
  if (theta != nullptr) c.rope_theta = keys.real(*theta);
  c.norm_eps = keys.real(keys.require(key("norm_eps", "attention.layer_norm_rms_epsilon")));

  if (const GgufKeyValue* v = keys.find(key("vocab_size", "vocab_size"))) {
    c.vocab_size = static_cast<int>(keys.uint(*v, kMaxVocab + 1));
  } else if (const GgufKeyValue* tokens = keys.find("tokenizer.ggml.tokens")) {
    out.key_of_field["vocab_size"] = tokens->key;
    const GgufArray* a = tokens->value.as_array();
    const std::size_t n = a != nullptr ? a->size() : 0;
    c.vocab_size = static_cast<int>(std::min<std::size_t>(n, kMaxVocab + 1));
  } else {
    for (const GgufTensorInfo& t : file.tensors) {
      if (t.name == "token_embd.weight" && t.dims.size() >= 2) {
        c.vocab_size = static_cast<int>(std::min<std::uint64_t>(t.dims[1], kMaxVocab + 1));
      }
    }
  }
  if (const auto problem = check_config(c)) {
    const auto it = out.key_of_field.find(problem->field);
    const GgufKeyValue* kv = it != out.key_of_field.end() ? keys.find(it->second) : nullptr;
    const std::string what = problem->field + ": " + problem->what;
    if (kv == nullptr) fail_at(file.path, "metadata", kMetadataOffset, what);
    keys.bad(*kv, what);
  }
  // What shoehorn's forward pass does not do must not be silently ignored.
  if (const GgufKeyValue* rot = keys.find(prefix + "rope.dimension_count")) {
    if (keys.uint(*rot, std::numeric_limits<std::uint32_t>::max()) !=
        static_cast<std::uint64_t>(c.head_size())) {
      keys.bad(*rot, "partial rotary embeddings are not supported (head size " +
                         std::to_string(c.head_size()) + ")");
    }
  }
  // Heads of another width than dim / n_heads (Gemma's) would change every projection's shape.
  for (const char* length : {"attention.key_length", "attention.value_length"}) {
    if (const GgufKeyValue* kv = keys.find(prefix + length)) {
      if (keys.uint(*kv, std::numeric_limits<std::uint32_t>::max()) !=
          static_cast<std::uint64_t>(c.head_size())) {
        keys.bad(*kv, "heads of a width other than embedding_length / head_count (" +
                          std::to_string(c.head_size()) + ") are not supported");
      }
    }
  }
  // Llama 3's scaling is the rope_freqs tensor; a scaling type (linear, YaRN) is something else.
  if (const GgufKeyValue* scaling = keys.find(prefix + "rope.scaling.type")) {
    if (keys.string(*scaling) != "none") keys.bad(*scaling, "RoPE scaling is not supported");
  }
  if (const GgufKeyValue* experts = keys.find(prefix + "expert_count")) {
    if (keys.uint(*experts, std::numeric_limits<std::uint32_t>::max()) > 0) {
      keys.bad(*experts, "mixture-of-experts models are not supported");
    }
  }
  return out;
}

// Every tensor name a model of this config has, and what it is.
std::unordered_map<std::string, TensorInfo> expected_tensors(const Config& c) {
  std::unordered_map<std::string, TensorInfo> expected;
  for (TensorInfo& t : execution_order(c, /*shared_classifier=*/false)) {
    expected.emplace(t.name, std::move(t));
  }
  return expected;
}

std::vector<std::uint64_t> dims_of(const TensorInfo& t) {
  if (!is_matrix(t.role)) return {static_cast<std::uint64_t>(t.cols)};
  return {static_cast<std::uint64_t>(t.cols), static_cast<std::uint64_t>(t.rows)};
}

std::string dims_text(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// "F32, F16, ..., Q8_0": the matrix types a GGUF may hold here.
std::string computed_types() {
  std::string names;
  for (std::size_t i = 0; i < kWeightTypeCount; ++i) {
    const auto type = static_cast<WeightType>(i);
    if (!is_file_type(type)) continue;
    names += (names.empty() ? "" : ", ") + std::string(to_string(type));
  }
  return names;
}

TensorInfo read_tensor(const GgufFile& file, const GgufTensorInfo& g, TensorInfo t) {
  const std::string field = "tensor '" + g.name + "'";
  std::vector<std::uint64_t> dims = g.dims;
  while (dims.size() > 1 && dims.back() == 1) dims.pop_back();  // [64, 1] is [64]
  if (dims != dims_of(t)) {
    fail_at(file.path, field, g.info_offset,
            "shape " + dims_text(g.dims) + " but the config needs " + dims_text(dims_of(t)));
  }
  const std::optional<WeightType> type = from_ggml_id(g.type);
  if (!type || (!is_matrix(t.role) && *type != WeightType::f32)) {
    fail_at(file.path, field, g.info_offset,
            "type " + ggml_type_name(g.type) + " is not supported here (shoehorn computes with " +
                (is_matrix(t.role) ? computed_types() : std::string("F32 norms")) + ")");
  }
  t.type = *type;
  t.offset = file.data_offset + g.offset;
  t.bytes = g.bytes();
  return t;
}

// "GGUF v3 (llama, Q4_K_M)": the file type general.file_type names, else the type of most
// matrices (a mix such as Q4_K_M is mostly Q5_0 where rows are not whole 256-blocks).
std::string format_name(const GgufFile& file, const Config& config,
                        const std::vector<TensorInfo>& tensors) {
  const std::string prefix = "GGUF v" + std::to_string(file.version) + " (" + to_string(config.arch) + ", ";
  if (const GgufKeyValue* kv = file.find("general.file_type")) {
    const std::optional<std::uint64_t> id = kv->value.as_uint();
    if (const FileType* type = id ? file_type_by_id(*id) : nullptr) return prefix + type->name + ")";
  }
  std::map<WeightType, int> matrices;
  for (const TensorInfo& t : tensors) {
    if (is_matrix(t.role)) ++matrices[t.type];
  }
  WeightType most = WeightType::f32;
  int best = -1;
  for (const auto& [type, n] : matrices) {
    if (n > best) {
      best = n;
      most = type;
    }
  }
  return prefix + to_string(most) + ")";
}

}  // namespace

std::vector<std::uint64_t> gguf_dims(const TensorInfo& t) { return dims_of(t); }

ModelFile llama_model_file(const GgufFile& file) {
  const Keys keys(file);
  ModelFile out;
  out.path = file.path;
  out.byte_order = file.byte_order;
  out.file_size = file.file_size;
  out.config = read_config(file, keys).config;

  std::unordered_map<std::string, TensorInfo> expected = expected_tensors(out.config);
  for (const GgufTensorInfo& g : file.tensors) {
    const auto it = expected.find(g.name);
    if (it == expected.end()) {
      fail_at(file.path, "tensor '" + g.name + "'", g.info_offset,
              std::string("not a tensor of a ") + to_string(out.config.arch) + " model with " +
                  describe(out.config));
    }
    out.tensors.push_back(read_tensor(file, g, it->second));
    expected.erase(it);
  }
  out.shared_classifier = expected.erase(tensor_name(TensorRole::classifier, -1)) == 1;
  if (!expected.empty()) {
    const std::uint64_t table = file.tensors.empty() ? file.data_offset : file.tensors[0].info_offset;
    fail_at(file.path, "tensor table", table,
            "no tensor '" + expected.begin()->first + "' (" + std::to_string(expected.size()) +
                " missing)");
  }
  out.format = format_name(file, out.config, out.tensors);
  if (const GgufKeyValue* merges = file.find("tokenizer.ggml.merges")) {
    if (const GgufArray* array = std::get_if<GgufArray>(&merges->value.v)) out.vocab_merges = array->size();
  }
  if (const GgufKeyValue* sums = file.find(kPackChecksumsKey)) {
    const GgufArray* array = std::get_if<GgufArray>(&sums->value.v);
    const std::vector<std::uint32_t>* values = array != nullptr ? array->as<std::uint32_t>() : nullptr;
    if (values == nullptr || values->size() != out.tensors.size()) {
      fail_at(file.path, kPackChecksumsKey, sums->offset,
              "must be an array of one uint32 per tensor (" + std::to_string(out.tensors.size()) + ")");
    }
    out.checksums = *values;
  }
  return out;
}

namespace {

// SentencePiece marks word boundaries with U+2581; shoehorn's Vocab, like llama2.c's
// tokenizer.bin, spells it as a space. llama2.c's exporter also wrapped <s> and </s> in
// newlines; GGUF keeps SentencePiece's own spelling.
std::string from_gguf_piece(const std::string& piece) {
  std::string out;
  for (std::size_t i = 0; i < piece.size();) {
    if (piece.compare(i, utf8::kWordBoundary.size(), utf8::kWordBoundary) == 0) {
      out += ' ';
      i += utf8::kWordBoundary.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

std::string to_gguf_piece(const std::string& piece) {
  if (piece == "\n<s>\n") return "<s>";
  if (piece == "\n</s>\n") return "</s>";
  std::string out;
  for (const char c : piece) {
    if (c == ' ') {
      out += utf8::kWordBoundary;
    } else {
      out += c;
    }
  }
  return out;
}

// A byte-level BPE vocabulary's merges, pre-tokenizer and special ids (llama.cpp's defaults:
// BOS and EOS 11, no unknown token, BOS added only for the pre types that say so).
Vocab bpe_vocab(const Keys& keys, std::vector<std::string> pieces, std::vector<float> scores,
                std::vector<TokenType> types, int max_length) {
  const std::size_t n = pieces.size();
  BpeSettings settings;
  settings.has_scores = keys.find("tokenizer.ggml.scores") != nullptr;
  const GgufKeyValue& merges_kv = keys.require("tokenizer.ggml.merges");
  settings.merges = keys.array<std::string>(merges_kv, "strings");
  const std::unordered_set<std::string_view> known(pieces.begin(), pieces.end());
  for (std::size_t i = 0; i < settings.merges.size(); ++i) {
    const std::string& merge = settings.merges[i];
    const auto parts = split_merge(merge);
    if (!parts) keys.bad(merges_kv, "merge " + std::to_string(i) + " '" + merge + "' has no space");
    for (const std::string_view part : {parts->first, parts->second}) {
      if (known.count(part) == 0) {
        keys.bad(merges_kv, "merge " + std::to_string(i) + " '" + merge + "' names '" +
                                std::string(part) + "', which is no token");
      }
    }
  }
  const GgufKeyValue* pre_kv = keys.find("tokenizer.ggml.pre");
  if (pre_kv != nullptr) settings.pre = keys.string(*pre_kv);
  const PretokenizerInfo* pre = find_pretokenizer(settings.pre);
  if (pre == nullptr) keys.bad(*pre_kv, "pre-tokenizer '" + settings.pre + "' is not one llama.cpp knows");
  settings.add_bos = pre->add_bos;
  auto flag = [&](const char* key, bool& value) {
    if (const GgufKeyValue* kv = keys.find(key)) {
      const bool* b = std::get_if<bool>(&kv->value.v);
      if (b == nullptr) keys.bad(*kv, std::string("must be a bool, not ") + to_string(kv->value.type()));
      value = *b;
    }
  };
  flag("tokenizer.ggml.add_bos_token", settings.add_bos);
  flag("tokenizer.ggml.add_eos_token", settings.add_eos);
  auto special = [&](const char* key, int fallback) {
    if (const GgufKeyValue* kv = keys.find(key)) return static_cast<int>(keys.uint(*kv, n - 1));
    return fallback >= 0 && static_cast<std::size_t>(fallback) < n ? fallback : -1;
  };
  const int bos = special("tokenizer.ggml.bos_token_id", 11);
  const int eos = special("tokenizer.ggml.eos_token_id", 11);
  const int unk = special("tokenizer.ggml.unknown_token_id", -1);
  Vocab vocab(std::move(pieces), std::move(scores), std::move(types), max_length, bos, eos, unk);
  vocab.set_bpe(std::move(settings));
  return vocab;
}

}  // namespace

std::optional<Vocab> gguf_vocab(const GgufFile& file) {
  const Keys keys(file);
  const GgufKeyValue* tokens_kv = keys.find("tokenizer.ggml.tokens");
  if (tokens_kv == nullptr) return std::nullopt;
  const GgufKeyValue& model = keys.require("tokenizer.ggml.model");
  const bool bpe = keys.string(model) == "gpt2";
  if (keys.string(model) != "llama" && !bpe) {
    keys.bad(model, "tokenizer '" + keys.string(model) +
                        "' is not supported (shoehorn encodes SentencePiece 'llama' and byte-level "
                        "BPE 'gpt2' vocabularies; give a tokenizer with -z)");
  }
  const auto& tokens = keys.array<std::string>(*tokens_kv, "strings");
  const std::size_t n = tokens.size();
  if (n < 1 || n > static_cast<std::size_t>(kMaxVocab)) {
    keys.bad(*tokens_kv,
             "holds " + std::to_string(n) + " tokens, outside 1.." + std::to_string(kMaxVocab));
  }
  auto same_length = [&](const GgufKeyValue& kv, std::size_t size) {
    if (size != n) {
      keys.bad(kv, "holds " + std::to_string(size) + " values for " + std::to_string(n) +
                       " tokens");
    }
  };

  std::vector<std::string> pieces;
  pieces.reserve(n);
  int max_length = 1;
  for (const std::string& t : tokens) {
    // Byte-level pieces stay as spelled; llama.cpp names an empty one "[EMPTY_i]".
    if (bpe && t.empty()) {
      pieces.push_back("[EMPTY_" + std::to_string(pieces.size()) + "]");
    } else {
      pieces.push_back(bpe ? t : from_gguf_piece(t));
    }
    max_length = std::max(max_length, static_cast<int>(pieces.back().size()));  // <= 16 MiB
  }
  std::vector<float> scores(n, 0.0f);
  if (const GgufKeyValue* kv = keys.find("tokenizer.ggml.scores")) {
    scores = keys.array<float>(*kv, "f32");
    same_length(*kv, scores.size());
  }
  std::vector<TokenType> types(n);
  if (const GgufKeyValue* kv = keys.find("tokenizer.ggml.token_type")) {
    const auto& raw = keys.array<std::int32_t>(*kv, "i32");
    same_length(*kv, raw.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (raw[i] < 0 || raw[i] > static_cast<int>(TokenType::byte)) {
        keys.bad(*kv, "token " + std::to_string(i) + " has type " + std::to_string(raw[i]) +
                          ", outside 0..6");
      }
      // 0 is llama.cpp's "undefined": an ordinary piece.
      types[i] = raw[i] == 0 ? TokenType::normal : static_cast<TokenType>(raw[i]);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      types[i] = guess_token_type(static_cast<int>(i), pieces[i]);
    }
  }
  // A special id from its key, else SentencePiece's default (unk 0, bos 1, eos 2).
  auto special = [&](const char* key, int fallback) {
    if (const GgufKeyValue* kv = keys.find(key)) return static_cast<int>(keys.uint(*kv, n - 1));
    if (static_cast<std::size_t>(fallback) >= n) {
      fail_at(file.path, "metadata", kMetadataOffset,
              std::string("no ") + key + ", and no token " + std::to_string(fallback));
    }
    return fallback;
  };
  if (bpe) return bpe_vocab(keys, std::move(pieces), std::move(scores), std::move(types), max_length);
  const int bos = special("tokenizer.ggml.bos_token_id", 1);
  const int eos = special("tokenizer.ggml.eos_token_id", 2);
  const int unk = special("tokenizer.ggml.unknown_token_id", 0);
  return Vocab(std::move(pieces), std::move(scores), std::move(types), max_length, bos, eos, unk);
}

namespace {

// The merges of a BPE vocabulary cut to its first `count` tokens: those both of whose parts
// are kept (the reader refuses merges that name no token).
std::vector<std::string> kept_merges(const Vocab& vocab, int count) {
  if (count >= vocab.size()) return vocab.bpe()->merges;
  std::unordered_set<std::string_view> kept;
  for (int id = 0; id < count; ++id) kept.insert(vocab.piece(id));
  std::vector<std::string> out;
  for (const std::string& merge : vocab.bpe()->merges) {
    const auto parts = split_merge(merge);
    if (parts && kept.count(parts->first) != 0 && kept.count(parts->second) != 0) out.push_back(merge);
  }
  return out;
}

// The tokenizer.ggml.* keys for the first `count` tokens of vocab.
void append_tokenizer_metadata(std::vector<GgufKeyValue>& m, const Vocab& vocab, int count) {
  const auto u32 = [](int v) { return static_cast<std::uint32_t>(v); };
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<std::int32_t> types;
  const BpeSettings* bpe = vocab.bpe();
  for (int id = 0; id < count; ++id) {
    tokens.push_back(bpe ? vocab.piece(id) : to_gguf_piece(vocab.piece(id)));
    scores.push_back(vocab.score(id));
    types.push_back(static_cast<std::int32_t>(vocab.type(id)));
  }
  m.push_back(make_entry("tokenizer.ggml.model", std::string(bpe ? "gpt2" : "llama")));
  if (bpe) m.push_back(make_entry("tokenizer.ggml.pre", bpe->pre));
  m.push_back(make_entry("tokenizer.ggml.tokens", make_array(std::move(tokens))));
  if (!bpe || bpe->has_scores) m.push_back(make_entry("tokenizer.ggml.scores", make_array(std::move(scores))));
  m.push_back(make_entry("tokenizer.ggml.token_type", make_array(std::move(types))));
  if (bpe) m.push_back(make_entry("tokenizer.ggml.merges", make_array(kept_merges(vocab, count))));
  const auto id_entry = [&](const char* key, int id) {
    if (id >= 0) m.push_back(make_entry(key, u32(id)));
  };
  id_entry("tokenizer.ggml.bos_token_id", vocab.bos_id());
  id_entry("tokenizer.ggml.eos_token_id", vocab.eos_id());
  id_entry("tokenizer.ggml.unknown_token_id", vocab.unk_id());
  m.push_back(make_entry("tokenizer.ggml.add_bos_token", bpe ? bpe->add_bos : true));
  m.push_back(make_entry("tokenizer.ggml.add_eos_token", bpe ? bpe->add_eos : false));
}

}  // namespace

std::vector<GgufKeyValue> llama_metadata(const Config& c, const Vocab* vocab,
                                         const GgufWriteOptions& o) {
  const auto u32 = [](int v) { return static_cast<std::uint32_t>(v); };
  const std::string arch = to_string(c.arch);
  std::vector<GgufKeyValue> m;
  m.push_back(make_entry("general.architecture", arch));
  m.push_back(make_entry("general.name", o.name));
  m.push_back(make_entry("general.alignment", o.alignment));
  m.push_back(make_entry("general.file_type", o.file_type.id));
  m.push_back(make_entry(arch + ".vocab_size", u32(c.vocab_size)));
  m.push_back(make_entry(arch + ".context_length", u32(c.seq_len)));
  m.push_back(make_entry(arch + ".embedding_length", u32(c.dim)));
  m.push_back(make_entry(arch + ".block_count", u32(c.n_layers)));
  m.push_back(make_entry(arch + ".feed_forward_length", u32(c.hidden_dim)));
  m.push_back(make_entry(arch + ".rope.dimension_count", u32(c.head_size())));
  m.push_back(make_entry(arch + ".attention.head_count", u32(c.n_heads)));
  m.push_back(make_entry(arch + ".attention.head_count_kv", u32(c.n_kv_heads)));
  m.push_back(make_entry(arch + ".attention.layer_norm_rms_epsilon", c.norm_eps));
  m.push_back(make_entry(arch + ".rope.freq_base", c.rope_theta));
  if (!o.chat_template.empty()) m.push_back(make_entry("tokenizer.chat_template", o.chat_template));
  if (vocab == nullptr) return m;
  if (vocab->size() < c.vocab_size) {
    throw Error("the tokenizer holds " + std::to_string(vocab->size()) +
                " tokens but the model has a vocabulary of " + std::to_string(c.vocab_size));
  }
  append_tokenizer_metadata(m, *vocab, c.vocab_size);
  return m;
}


void write_llama_gguf(ByteSink& sink, const Config& config, bool shared_classifier,
                      const Vocab* vocab, const GgufWriteOptions& options,
                      const TensorValues& values) {
  const std::vector<TensorInfo> tensors = execution_order(config, shared_classifier);
  std::vector<WeightType> types;
  std::vector<GgufWriter::Tensor> table;
  for (const TensorInfo& t : tensors) {
    types.push_back(file_tensor_type(options.file_type, t, config, shared_classifier, options.pure));
    if (traits(types.back()).quantize == nullptr) {
      throw Error(std::string(options.file_type.name) + " files hold " + t.name + " as " +
                  to_string(types.back()) + ", which shoehorn does not write");
    }
    table.push_back({t.name, dims_of(t), static_cast<std::uint32_t>(traits(types.back()).ggml_id)});
  }
  GgufWriter writer(sink, options.byte_order, llama_metadata(config, vocab, options),
                    std::move(table));
  std::vector<float> buffer;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    buffer.resize(to_size(tensors[i].count(), tensors[i].name));
    values(tensors[i], buffer);
    writer.write_tensor(encode_values(types[i], buffer, options.byte_order));
  }
  writer.finish();
}

void write_llama_gguf(ByteSink& sink, const Model& model, const Vocab* vocab,
                      const GgufWriteOptions& options) {
  write_llama_gguf(sink, model.config(), model.file.shared_classifier, vocab, options,
                   [&](const TensorInfo& t, std::span<float> values) {
                     dequantize_into(tensor_of(model.weights, t.role, t.layer), values);
                   });
}

std::vector<std::byte> tensor_bytes(const TensorInfo& t, const ModelFile& file,
                                    const ByteSource& source, ByteOrder order) {
  std::vector<std::byte> bytes(to_size(t.bytes, t.name));
  source.read(t.offset, bytes);
  if (order != file.byte_order) {
    if (!is_file_type(t.type)) fail(file.path, std::string(to_string(t.type)) + " has no GGUF type");
    swap_fields(t.type, bytes);
  }
  return bytes;
}

void write_llama_gguf_as_is(ByteSink& sink, const ModelFile& file, const ByteSource& source,
                            const Vocab* vocab, const GgufWriteOptions& options) {
  std::vector<const TensorInfo*> tensors;
  for (const TensorInfo& wanted : execution_order(file.config, file.shared_classifier)) {
    for (const TensorInfo& t : file.tensors) {
      if (t.role == wanted.role && t.layer == wanted.layer) tensors.push_back(&t);
    }
  }
  std::vector<GgufWriter::Tensor> table;
  std::map<WeightType, int> matrices;
  for (const TensorInfo* t : tensors) {
    if (!is_file_type(t->type)) {
      fail(file.path, "tensor " + t->name + " is " + to_string(t->type) +
                          ", which GGUF does not hold: give --quant");
    }
    table.push_back({t->name, dims_of(*t), static_cast<std::uint32_t>(traits(t->type).ggml_id)});
    if (is_matrix(t->role)) ++matrices[t->type];
  }
  GgufWriteOptions o = options;
  o.file_type = file_type_of(
      std::max_element(matrices.begin(), matrices.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      })->first);
  GgufWriter writer(sink, options.byte_order, llama_metadata(file.config, vocab, o), std::move(table));
  for (const TensorInfo* t : tensors) writer.write_tensor(tensor_bytes(*t, file, source, options.byte_order));
  writer.finish();
}

void write_vocab_gguf(ByteSink& sink, const Vocab& vocab, ByteOrder byte_order) {
  std::vector<GgufKeyValue> metadata;
  metadata.push_back(make_entry("general.architecture", std::string("llama")));
  metadata.push_back(make_entry("general.name", std::string("shoehorn tokenizer")));
  append_tokenizer_metadata(metadata, vocab, vocab.size());
  GgufWriter(sink, byte_order, metadata, {}).finish();
}

}  // namespace shoehorn
