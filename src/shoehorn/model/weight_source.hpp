// Where the forward pass gets its matrices: views into the model's arena (resident), pieces of
// rows read from slow media into a few reusable buffers while the previous piece computes, or
// matrices whose rows the multiplying threads read from the file themselves (streamed). The
// forward pass asks for each matrix when it needs it, so its math does not know which.
#pragma once

#include <array>

#include "shoehorn/io/error.hpp"
#include "shoehorn/model/model.hpp"

namespace shoehorn {

// The order in which the forward pass asks for a layer's matrices.
inline constexpr std::array<TensorRole, 7> kLayerMatrixOrder = {
    TensorRole::wq, TensorRole::wk, TensorRole::wv, TensorRole::wo,
    TensorRole::w1, TensorRole::w3, TensorRole::w2};

// Rows [first_row, first_row + matrix.rows) of a matrix.
struct WeightPiece {
  Matrix matrix;
  int first_row = 0;
  bool last = true;  // the matrix's final piece
  // In a stream buffer: valid until done(), which must come before the next next(). Other
  // pieces stay valid as long as the source.
  bool streamed = false;
  // Read on demand: matrix describes the whole matrix but holds no data. The threads that
  // multiply it read their rows first (read_rows), at most rows_per_read at a time, so each
  // multiplies rows its own core has just copied, still in its cache.
  bool on_demand = false;
  int rows_per_read = 0;
};

// Rows of an on-demand piece in one of the source's read buffers, until release().
struct ReadRows {
  Matrix matrix;
  int buffer = -1;
};

// One row of the token embedding table (row `row` of `table`).
struct EmbeddingRow {
  Matrix table;
  int row = 0;
};

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // The next piece of (role, layer), which must be the matrix the pass needs next (layer -1
  // for the classifier); valid until done().
  virtual WeightPiece next(TensorRole role, int layer) = 0;
  // The piece from next() is no longer needed.
  virtual void done() = 0;
  // The token's embedding row, valid until the next call.
  virtual EmbeddingRow embedding(int token) = 0;
  // For the on-demand piece from next(): rows [first, first + count) of it (count at most its
  // rows_per_read) in a free read buffer, waiting for one if every buffer is taken. Threads
  // may call it at once. Throws Error (and holds no buffer) when the read fails.
  virtual ReadRows read_rows(int /*first*/, int /*count*/) {
    throw Error("internal error: rows read from a source that reads none on demand");
  }
  virtual void release(const ReadRows& /*rows*/) {}
};

// Every matrix whole, from a loaded model.
class ResidentWeights final : public WeightSource {
 public:
  explicit ResidentWeights(const Weights& weights) : weights_(weights) {}
  WeightPiece next(TensorRole role, int layer) override {
    return {tensor_of(weights_, role, layer), 0, true};
  }
  void done() override {}
  EmbeddingRow embedding(int token) override { return {weights_.token_embedding, token}; }

 private:
  const Weights& weights_;
};

}  // namespace shoehorn
