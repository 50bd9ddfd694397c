// The Llama forward pass, one token at a time or a batch of prompt positions at once, over a KV
// cache sized by the positions the caller will actually use (not the model's whole context).
// Its matrices come from a WeightSource (resident or streamed piece by piece), so the same
// batched, threaded SIMD products run whether the model is in memory or read from the file.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

// Prompt positions per batch by default (--chunk): a layer's activations for this many stay in
// cache while each weight row (resident or streamed) is read once for all of them.
inline constexpr int kPrefillBatch = 32;

// Which logits a batch returns.
enum class Logits { last, all };

// What the KV cache holds: floats (llama2.c's arithmetic, the bits of the reference), half
// floats (half the bytes; computed as llama.cpp's default F16 cache computes: keys and values
// rounded to F16 as they are stored, and each query and each softmax weight rounded to F16
// before it meets them, as ggml converts a product's F32 side to its F16 side's type), or int8 vectors with one float scale per position and head (about a
// quarter of the bytes).
enum class KvCache : std::uint8_t { f32, f16, q8 };
const char* to_string(KvCache kv);  // "F32", "F16", "Q8"
std::optional<KvCache> parse_kv_cache(std::string_view name);  // "f32", "f16", "q8"

// Bytes of a Transformer's arena: activations (for a batch of positions) and the KV cache.
struct TransformerBytes {
  std::size_t activations = 0;
  std::size_t kv_cache = 0;
  std::size_t total() const { return activations + kv_cache; }
};

// The forward pass's buffers (llama2.c's RunState), max_batch vectors each, one after another.
struct RunState {
  std::span<float> x, xb, xb2, hb, hb2, q, k, v, att, logits;
  std::span<float> rope_cos, rope_sin;  // max_batch x head_size / 2
  std::span<float> rope_freq;           // head_size / 2: the model's, rope_freqs applied
  // The current input vectors in the weights' activation types: for dim- and hidden-sized
  // inputs.
  kernels::InputScratch xq, hq;
};

// The KV cache: n_layers x n_kv_heads x max_positions x head_size (see cache_offset): floats,
// half floats, or int8 values with a scale per position and head (what the KvCache says; the
// other spans are empty).
struct KvStore {
  std::span<float> keys, values;
  std::span<std::uint16_t> keys16, values16;
  std::span<std::int8_t> keys8, values8;
  std::span<float> key_scales, value_scales;  // n_layers x n_kv_heads x max_positions
};

// What a Transformer's buffers are sized from.
struct TransformerShape {
  Config config;
  kernels::Activations activations;  // what its weights' inputs are quantized to
  int max_positions = 1;
  int max_batch = 1;
  Logits logits = Logits::last;
  KvCache kv = KvCache::f32;
};

// Where RoPE's pairs lie in a head: pair k rotates elements k * step and k * step + partner
// (adjacent: step 2, partner 1; NEOX: step 1, partner head_size / 2).
struct RopePairs {
  int step = 2;
  int partner = 1;
};
RopePairs rope_pairs(const Config& config);

class Transformer {
 public:
  // max_positions: how many positions forward() will be called for (1..seq_len).
  // pool: threads that share each matrix product and the attention heads (none: this thread
  // alone). max_batch: the most positions one forward_batch() call runs (its activations are
  // planned for that many). weights: where the matrices come from (none: the model's own
  // arena). logits: whether batches may return every position's logits (room for max_batch of
  // them) or only the last's. Results are identical for any number of threads, any batch and
  // any weight source. kv: what the cache holds. memory: where its buffers are carved from
  // (none: allocated).
  Transformer(const Model& model, int max_positions, ThreadPool* pool = nullptr,
              int max_batch = 1, WeightSource* weights = nullptr, Logits logits = Logits::last,
              KvCache kv = KvCache::f32, MemoryBlock* memory = nullptr);

  // It points into itself (its resident weights) and lends its buffers out: it stays put.
  // It keeps a reference to the model: a temporary one would dangle.
  Transformer(Model&&, int, ThreadPool* = nullptr, int = 1, WeightSource* = nullptr,
              Logits = Logits::last, KvCache = KvCache::f32, MemoryBlock* = nullptr) = delete;
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;
  Transformer(Transformer&&) = delete;
  Transformer& operator=(Transformer&&) = delete;

  static TransformerBytes bytes(const TransformerShape& shape);
  // The shape of a transformer over a model of this file (its tensors' types).
  static TransformerShape shape(const ModelFile& file, int max_positions, int max_batch,
                                Logits logits = Logits::last, KvCache kv = KvCache::f32);

  // Runs token at position pos (0 <= pos < max_positions) and returns the logits, which stay
  // valid until the next call. Allocates nothing.
  std::span<float> forward(int token, int pos);

  // Runs tokens[i] at position pos + i (1 <= tokens.size() <= max_batch): each weight matrix is
  // read once for the whole batch. Returns the last position's logits, or every position's
  // (tokens.size() x vocab_size). The same bits as forward() position by position.
  std::span<float> forward_batch(std::span<const int> tokens, int pos, Logits which);

  // Runs a prompt of any length from position pos in batches; the last position's logits.
  std::span<float> prefill(std::span<const int> tokens, int pos);

  const Config& config() const { return model_.config(); }
  int max_positions() const { return max_positions_; }
  int max_batch() const { return max_batch_; }
  Logits logits_kept() const { return logits_kept_; }
  // The kernel path this transformer computes with: the current one when it was made, until
  // set here (each transformer its own, so contexts on several threads may differ). Throws
  // Error when this build or CPU cannot run it. Every path gives the same bits.
  kernels::KernelPath kernel_path() const { return kernel_path_; }
  void set_kernel_path(kernels::KernelPath path);
  std::size_t state_bytes() const { return arena_.capacity(); }

 private:
  // out = W x for every position of the batch, W the weight source's (role, layer): out holds
  // the positions' vectors one after another.
  struct Product {
    std::span<float> out;
    TensorRole role;
    int layer;
  };
  // Rows of a piece of W, and where they go: out points at the piece's first row of the first
  // position, each position's vector `stride` floats after the previous.
  struct PieceJob {
    float* out;
    std::size_t stride;
    Matrix w;
  };
  // The products that read the same input x (positions vectors), quantized once into scratch.
  void matmul(std::initializer_list<Product> products, std::span<const float> x,
              const kernels::InputScratch& scratch, int positions);
  void run_jobs(std::span<const PieceJob> jobs, const kernels::MatvecInput& in,
                std::int64_t parallel_work);
  void read_and_multiply(const PieceJob& job, int rows_per_read, const kernels::MatvecInput& in);
  void add_biases(const LayerWeights& lw, int batch);
  void rotate(int batch);
  std::size_t cache_offset(int layer, int kv_head, int pos) const;
  std::size_t scale_offset(int layer, int kv_head, int pos) const;
  void store_kv(int layer, int pos, int batch);
  void attention(int layer, int pos, int batch);
  void attend_head(int layer, int pos, int slot, int head);
  template <class Cached>
  void attend_head_over(std::span<const Cached> keys, std::span<const Cached> values, int layer,
                        int pos, int slot, int head);

  const Model& model_;
  int max_positions_;
  int max_batch_;
  ThreadPool* pool_;
  kernels::KernelPath kernel_path_ = kernels::kernel_path();
  ResidentWeights resident_;
  WeightSource* weights_;
  Logits logits_kept_;
  KvCache kv_;
  RopePairs rope_;
  Arena arena_;
  RunState s_;
  KvStore cache_;
};

}  // namespace shoehorn
