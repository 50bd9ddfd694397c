// Llama models in GGUF, as llama.cpp reads and writes them.
//
// Config from the llama.* keys (context_length, embedding_length, block_count,
// feed_forward_length, attention.head_count, attention.head_count_kv, rope.freq_base,
// attention.layer_norm_rms_epsilon; vocab_size or the token list), tensors by llama.cpp's names
// (token_embd, blk.N.attn_q ..., output_norm, output: absent when tied to token_embd), the
// vocabulary from the tokenizer.ggml.* keys (model "llama": SentencePiece pieces, scores, token
// types, special ids).
//
// RoPE: llama.cpp's LLM_ARCH_LLAMA rotates adjacent pairs (x[2i], x[2i+1]), as llama2.c does;
// both converters from Hugging Face permute the rows of wq and wk for that, so llama2.c and GGUF
// weights are the same numbers and convert without any permutation.
//
// Architectures: "llama" (its keys llama.*; q, k, v biases and rope_freqs.weight, Llama 3's
// per-pair frequency divisors, when present) and "qwen2" (qwen2.*; q, k, v biases required; NEOX
// pairs, x[i] with x[i + head_size / 2], its weights unpermuted). Any other is an error.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "shoehorn/format/file_type.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

// The config and tensor table of a llama GGUF, validated: every required key, every tensor
// present once with the shape the config implies and a type shoehorn computes with.
ModelFile llama_model_file(const GgufFile& file);

// The vocabulary of the tokenizer.ggml.* keys, or nothing when the file has no token list.
// Pieces are spelled as shoehorn's Vocab spells them (U+2581 as a space).
std::optional<Vocab> gguf_vocab(const GgufFile& file);

struct GgufWriteOptions {
  // The matrices' types, chosen as llama-quantize chooses them (file_type.hpp); norms stay F32.
  FileType file_type = all_f32();
  bool pure = false;  // every matrix in file_type's base type (llama-quantize --pure)
  ByteOrder byte_order = ByteOrder::little;
  std::uint32_t alignment = kGgufDefaultAlignment;
  std::string name = "shoehorn";
  std::string chat_template{};  // tokenizer.chat_template when not empty
};

// Fills one tensor's values (row-major, rows x cols). Writers call it once per tensor, in
// execution_order(), so a generator can stream a model larger than memory allows twice.
// The metadata write_llama_gguf writes: general.*, llama.*, and tokenizer.ggml.* when vocab.
std::vector<GgufKeyValue> llama_metadata(const Config& config, const Vocab* vocab,
                                         const GgufWriteOptions& options);
// A tensor's GGUF dims (ne[0], the row length, first).
std::vector<std::uint64_t> gguf_dims(const TensorInfo& tensor);

using TensorValues = std::function<void(const TensorInfo& tensor, std::span<float> values)>;

// Writes a llama GGUF: metadata, the vocabulary when given (cut to the model's vocabulary
// size), tensors in execution order.
void write_llama_gguf(ByteSink& sink, const Config& config, bool shared_classifier,
                      const Vocab* vocab, const GgufWriteOptions& options,
                      const TensorValues& values);
void write_llama_gguf(ByteSink& sink, const Model& model, const Vocab* vocab,
                      const GgufWriteOptions& options);

// Writes a model file's tensors as they are (each in its own type, its fields swapped when
// options.byte_order differs from the file's) as a llama GGUF in execution order: a change of
// byte order, alignment or tokenizer with no requantization. options.file_type is ignored
// (general.file_type follows the matrices' most common type).
void write_llama_gguf_as_is(ByteSink& sink, const ModelFile& file, const ByteSource& source,
                            const Vocab* vocab, const GgufWriteOptions& options);

// A tensor's bytes as stored in `order` (its multi-byte fields swapped from the file's order).
std::vector<std::byte> tensor_bytes(const TensorInfo& tensor, const ModelFile& file,
                                    const ByteSource& source, ByteOrder order);

// A vocabulary-only GGUF (as llama.cpp's ggml-vocab-*.gguf): the tokenizer.ggml.* keys and no
// tensors. gguf_vocab() and `-z` read it.
void write_vocab_gguf(ByteSink& sink, const Vocab& vocab, ByteOrder byte_order = ByteOrder::little);

}  // namespace shoehorn
