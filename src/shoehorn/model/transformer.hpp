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

namespace shoehorn {

// Room for one input vector in the quantized forms that weights multiply with.
struct InputScratch {
  std::span<std::int8_t> q;       // llama2.c Q8 groups
  std::span<float> scales;
  std::span<BlockQ8_0> blocks;    // ggml Q8_0 (for Q8_0 and Q4_0 weights)
};

class Transformer {
 public:
  // max_positions: how many positions forward() will be called for (1..seq_len).
  // pool: threads that share each matrix-vector product and the attention heads (none: this
  // thread alone). Results are identical for any number of threads.
  Transformer(const Model& model, int max_positions, ThreadPool* pool = nullptr);

  // Runs token at position pos (0 <= pos < max_positions) and returns the logits, which stay
  // valid until the next call. Allocates nothing.
  std::span<float> forward(int token, int pos);

  const Config& config() const { return model_.config(); }
  int max_positions() const { return max_positions_; }
  std::size_t state_bytes() const { return arena_.capacity(); }

 private:
  void attention(int layer, int pos);
  void attend_head(int layer, int pos, int head);
  void matvec(std::span<float> out, const Matrix& w, const kernels::MatvecInput& in);

  const Model& model_;
  int max_positions_;
  ThreadPool* pool_;
  Arena arena_;
  // Activations (llama2.c's RunState names).
  std::span<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_;
  std::span<float> key_cache_, value_cache_;  // n_layers x max_positions x kv_dim
  std::span<float> rope_cos_, rope_sin_;      // head_size / 2, for the current position
  std::span<float> rope_freq_;                // head_size / 2
  // The current input vector quantized for the weights' formats: for dim- and hidden-sized
  // inputs.
  InputScratch xq_, hq_;
};

}  // namespace shoehorn
