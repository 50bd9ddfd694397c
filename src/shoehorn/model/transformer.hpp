// The Llama forward pass for one token at a time, over a KV cache sized by the positions the
// caller will actually use (not the model's whole context).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

// Room for one input vector in the quantized forms that weights multiply with.
struct InputScratch {
  std::span<std::int8_t> q;       // llama2.c Q8 groups
  std::span<float> scales;
  std::span<BlockQ8_0> blocks;    // ggml Q8_0 (for Q8_0 and Q4_0 weights)
};

// Bytes of a Transformer's arena: activations (for `lanes` tokens at a time) and the KV cache.
struct TransformerBytes {
  std::size_t activations = 0;
  std::size_t kv_cache = 0;
  std::size_t total() const { return activations + kv_cache; }
};

class Transformer {
 public:
  // max_positions: how many positions forward() will be called for (1..seq_len).
  // pool: threads that share each matrix-vector product and the attention heads (none: this
  // thread alone). Results are identical for any number of threads.
  // weights: where the matrices come from (none: the model's own arena); lanes: how many
  // prompt tokens forward_chunk() takes at once, so that each matrix is fetched once per chunk.
  Transformer(const Model& model, int max_positions, ThreadPool* pool = nullptr,
              WeightSource* weights = nullptr, int lanes = 1);

  static TransformerBytes bytes(const Config& config, int max_positions, int lanes);

  // Runs token at position pos (0 <= pos < max_positions) and returns the logits, which stay
  // valid until the next call. Allocates nothing.
  std::span<float> forward(int token, int pos);
  // Runs tokens (1..lanes of them) at positions pos, pos + 1, ... and returns the logits of the
  // last; bit-identical to calling forward() for each.
  std::span<float> forward_chunk(std::span<const int> tokens, int pos);

  const Config& config() const { return model_.config(); }
  int max_positions() const { return max_positions_; }
  int lanes() const { return lanes_; }
  std::size_t state_bytes() const { return arena_.capacity(); }

 private:
  // lanes rows of `size` floats, `stride` apart.
  struct LaneRows {
    float* base;
    std::size_t stride;
    std::size_t size;
    std::span<float> operator[](int lane) const {
      return {base + static_cast<std::size_t>(lane) * stride, size};
    }
  };
  LaneRows rows(std::span<float> all, std::size_t size) const { return {all.data(), size, size}; }

  void layer(int l, int pos, int lanes);
  void attention(int layer, int pos, int lane);
  void attend_head(int layer, int pos, int lane, int head);
  // out[lane] = W in_[lane] for every lane, W fetched from the weight source piece by piece.
  void project(TensorRole role, int layer, LaneRows out, int lanes);
  void matvec(std::span<float> out, const Matrix& w, const kernels::MatvecInput& in);

  const Model& model_;
  int max_positions_;
  ThreadPool* pool_;
  ResidentWeights resident_;
  WeightSource* weights_;
  int lanes_;
  Arena arena_;
  // Activations (llama2.c's RunState names), one row per lane.
  std::span<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_;
  std::span<float> key_cache_, value_cache_;  // n_layers x max_positions x kv_dim
  std::span<float> rope_cos_, rope_sin_;      // lanes x head_size / 2, for each lane's position
  std::span<float> rope_freq_;                // head_size / 2
  // Each lane's input vector quantized for the weights' formats: for dim- and hidden-sized
  // inputs; in_ is what the next project() multiplies with.
  std::vector<InputScratch> xq_, hq_;
  std::vector<kernels::MatvecInput> in_;
};

}  // namespace shoehorn
