#include "shoehorn/format/load.hpp"


#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/tensor_rows.hpp"

namespace shoehorn {

namespace {

// Decodes the tensors `keep` says into one arena sized up front; the others get their shape
// and type only (their rows stream). Q8_0 and Q4_0 matrices are interleaved when `layout` asks.
Model load_tensors(ModelFile file, const ByteSource& source, const std::vector<bool>& keep,
                   RowLayout layout = RowLayout::file, MemoryBlock* memory = nullptr) {
  ArenaPlan plan;
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    if (keep[i]) plan.add<std::byte>(rows_buffer_bytes(file.tensors[i], file.tensors[i].rows));
  }
  Model model;
  model.storage = make_arena(plan.bytes(), memory);
  model.weights.layers.resize(static_cast<std::size_t>(file.config.n_layers));
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    const TensorInfo& t = file.tensors[i];
    Matrix m{t.type, t.rows, t.cols, t.group_size};
    if (keep[i]) {
      const std::span<std::byte> bytes = model.storage.allocate<std::byte>(rows_buffer_bytes(t, t.rows));
      m = read_rows(t, 0, t.rows, source, file.byte_order, bytes);
      if (layout == RowLayout::interleaved && interleavable(m)) m = interleave(m, bytes);
    }
    place_tensor(model.weights, t.role, t.layer, m);
  }
  if (file.shared_classifier) model.weights.classifier = model.weights.token_embedding;
  model.file = std::move(file);
  return model;
}

}  // namespace

ModelFile read_model_file(const ByteSource& source) {
  if (is_gguf(source)) return llama_model_file(read_gguf(source));
  if (is_llama2c(source)) return read_llama2c(source);
  // Not recognised: report why it is not a llama2.c checkpoint, the most common format.
  return read_llama2c(source);
}

Model load_resident(ModelFile file, const ByteSource& source) {
  const std::vector<bool> all(file.tensors.size(), true);
  return load_tensors(std::move(file), source, all);
}

Model load_planned(ModelFile file, const ByteSource& source, const MemoryPlan& plan,
                   RowLayout layout, MemoryBlock* memory) {
  return load_tensors(std::move(file), source, plan.resident, layout, memory);
}

Model load_model(const std::string& path) {
  const FileSource source(path);
  ModelFile file = read_model_file(source);
  verify_checksums(file, source);
  return load_resident(std::move(file), source);
}

Model reloaded_as(const Model& model, const Llama2cWriteOptions& options) {
  const std::vector<std::byte> bytes = write_llama2c(model, options);
  const MemorySource source(model.file.path, bytes);
  return load_resident(read_model_file(source), source);
}

Vocab read_vocab(const ByteSource& source) {
  if (!is_gguf(source)) return read_tokenizer_bin(source);
  std::optional<Vocab> vocab = gguf_vocab(read_gguf(source));
  if (!vocab) fail(source.name(), "this GGUF has no tokenizer (no tokenizer.ggml.tokens)");
  return std::move(*vocab);
}

std::optional<Vocab> own_vocab(const ByteSource& model_source) {
  if (!is_gguf(model_source)) return std::nullopt;
  return gguf_vocab(read_gguf(model_source));
}

Tokenizer tokenizer_for(const Model& model, Vocab vocab, std::string_view vocab_name) {
  const int needed = model.config().vocab_size;
  if (vocab.size() < needed) {
    fail(vocab_name, "the tokenizer holds " + std::to_string(vocab.size()) + " tokens but the model " +
                         model.file.path + " has a vocabulary of " + std::to_string(needed));
  }
  vocab.truncate(needed);
  return Tokenizer(std::move(vocab));
}

}  // namespace shoehorn
