// From a file to a runnable Model: detect the format, validate the header and tensor table,
// then decode every tensor into one arena.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace shoehorn {

// Reads the header and tensor table of any supported model file.
ModelFile read_model_file(const ByteSource& source);

// Decodes every tensor of file into host-order arrays in one arena sized up front.
Model load_resident(ModelFile file, const ByteSource& source);

// How resident Q8_0 and Q4_0 matrices are laid out in memory: as in the file, or in groups of
// eight interleaved rows (q8_0x8 and q4_0x8, see BlockQ8_0x8), which the SIMD kernels multiply
// without horizontal sums. Either gives the same bits on every kernel path.
enum class RowLayout { file, interleaved };

// Decodes only the tensors the plan keeps resident; the others (shape and type, no data) are
// for a StreamedWeights to read while the model runs. Their arena comes from memory when given.
Model load_planned(ModelFile file, const ByteSource& source, const MemoryPlan& plan,
                   RowLayout layout = RowLayout::file, MemoryBlock* memory = nullptr);

Model load_model(const std::string& path);

// A vocabulary file's: a llama2.c tokenizer.bin, or any GGUF with tokenizer.ggml.* keys.
Vocab read_vocab(const ByteSource& source);

// The vocabulary a model file carries in itself (a GGUF's tokenizer.ggml.* keys), if any.
std::optional<Vocab> own_vocab(const ByteSource& model_source);

// The tokenizer for model over vocab (read from vocab_name): a vocabulary smaller than the
// model's is an error, a larger one is cut to the model's size (llama2.c's tokenizer.bin holds
// 32000 pieces for every model).
Tokenizer tokenizer_for(const Model& model, Vocab vocab, std::string_view vocab_name);

// The model as it reads back after write_llama2c(model, options): version 2 quantizes it to
// int8 groups exactly as `shoehorn convert --llama2c-version 2` does, versions 0 and 1
// dequantize. Nothing touches the disk.
Model reloaded_as(const Model& model, const Llama2cWriteOptions& options);

}  // namespace shoehorn
