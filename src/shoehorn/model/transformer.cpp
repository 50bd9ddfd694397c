#include "shoehorn/model/transformer.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <type_traits>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/quant/f16.hpp"

namespace shoehorn {

namespace {

using kernels::MatvecInput;

// The input of the matrices that read x (positions vectors of cols floats, one after another):
// x itself, plus what their formats multiply with, quantized once into scratch for all of them
// (llama2.c Q8 groups, ggml Q8_0 blocks). Groups and blocks never straddle two vectors (cols is
// a multiple of both), so the batch quantizes as one long vector.
MatvecInput prepare_input(std::span<const Matrix> readers, std::span<const float> x, int positions,
                          const InputScratch& scratch) {
  MatvecInput in{x, {}, {}, {}, positions};
  bool groups_done = false, blocks_done = false, sums_done = false;
  for (const Matrix& w : readers) {
    if (w.type == WeightType::q8_group && !groups_done) {
      const std::size_t groups = x.size() / static_cast<std::size_t>(w.group_size);
      kernels::quantize_q8_groups(x, {scratch.q.first(x.size()), scratch.scales.first(groups)},
                                  w.group_size);
      in.q = scratch.q.first(x.size());
      in.scales = scratch.scales.first(groups);
      groups_done = true;
    }
    const bool interleaved = w.type == WeightType::q8_0x8 || w.type == WeightType::q4_0x8;
    const bool blocks_needed = w.type == WeightType::q8_0 || w.type == WeightType::q4_0 || interleaved;
    if (blocks_needed && !blocks_done) {
      const std::span<BlockQ8_0> blocks = scratch.blocks.first(x.size() / kBlockValues);
      kernels::quantize_input_q8_0(x, blocks);
      in.q8_0 = blocks;
      blocks_done = true;
    }
    if (interleaved && !sums_done) {
      const std::span<std::int32_t> sums = scratch.sums.first(in.q8_0.size());
      kernels::block_sums(in.q8_0, sums);
      in.q8_0_sums = sums;
      sums_done = true;
    }
  }
  return in;
}

// Below this many multiply-adds a region is not worth waking other threads for.
constexpr std::int64_t kParallelWork = 1 << 15;
// A streamed piece (a MiB or so) times one position is tens of microseconds of work: no more
// than a sleeping worker may take to wake (a futex wake is slow in a VM), while the thread that
// reads the next piece needs the core. Its rows split among the threads only for a batch.
constexpr std::int64_t kParallelStreamedWork = 1 << 23;

// Rows per task are a multiple of the SIMD kernels' tiles (four rows; eight interleaved).
constexpr int kRowTile = kInterleavedRows;

// Rows per task when `rows` are cut into `tasks` of whole tiles.
int tile_rows_per_task(int rows, int tasks) {
  const int tiles = (rows + kRowTile - 1) / kRowTile;
  return (tiles + tasks - 1) / tasks * kRowTile;
}

// The most products that read one input (q, k and v), and so the most pieces in one region.
constexpr std::size_t kMaxJobs = 3;

std::span<float> vector_at(std::span<float> batch, int slot, std::size_t size) {
  return batch.subspan(static_cast<std::size_t>(slot) * size, size);
}

}  // namespace

const char* to_string(KvCache kv) {
  switch (kv) {
    case KvCache::f16:
      return "F16";
    case KvCache::q8:
      return "Q8";
    case KvCache::f32:
      break;
  }
  return "F32";
}

std::optional<KvCache> parse_kv_cache(std::string_view name) {
  if (name == "f32") return KvCache::f32;
  if (name == "f16") return KvCache::f16;
  if (name == "q8") return KvCache::q8;
  return std::nullopt;
}

TransformerBytes Transformer::bytes(const Config& c, int max_positions, int max_batch,
                                    Logits logits, KvCache kv_type) {
  const std::size_t batch = max_batch;
  const std::size_t dim = c.dim * batch, hidden = c.hidden_dim * batch;
  const std::size_t positions = max_positions, half_head = c.head_size() / 2;
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * positions * c.kv_dim();
  ArenaPlan activations;
  for (int i = 0; i < 5; ++i) activations.add<float>(dim);     // x, xb, xb2, q, xq scales
  for (int i = 0; i < 2; ++i) activations.add<float>(c.kv_dim() * batch);  // new k, v
  for (int i = 0; i < 3; ++i) activations.add<float>(hidden);  // hb, hb2, hq scales
  activations.add<float>(static_cast<std::size_t>(c.n_heads) * positions * batch);  // att
  activations.add<float>(static_cast<std::size_t>(c.vocab_size) *
                         (logits == Logits::all ? batch : 1));  // logits
  activations.add<float>(half_head);                            // rope freq
  for (int i = 0; i < 2; ++i) activations.add<float>(half_head * batch);  // rope cos, sin
  activations.add<std::int8_t>(dim);
  activations.add<std::int8_t>(hidden);
  activations.add<BlockQ8_0>(dim / kBlockValues);
  activations.add<BlockQ8_0>(hidden / kBlockValues);
  activations.add<std::int32_t>(dim / kBlockValues);
  activations.add<std::int32_t>(hidden / kBlockValues);
  const std::size_t vectors = static_cast<std::size_t>(c.n_layers) * c.n_kv_heads * positions;
  ArenaPlan kv;
  for (int i = 0; i < 2; ++i) {
    if (kv_type == KvCache::q8) {
      kv.add<std::int8_t>(cache);
      kv.add<float>(vectors);
    } else if (kv_type == KvCache::f16) {
      kv.add<std::uint16_t>(cache);
    } else {
      kv.add<float>(cache);
    }
  }
  return {activations.bytes(), kv.bytes()};
}

Transformer::Transformer(const Model& model, int max_positions, ThreadPool* pool, int max_batch,
                         WeightSource* weights, Logits logits, KvCache kv)
    : model_(model),
      max_positions_(max_positions),
      max_batch_(max_batch),
      pool_(pool),
      resident_(model.weights),
      weights_(weights != nullptr ? weights : &resident_),
      logits_kept_(logits),
      kv_(kv) {
  const Config& c = model.config();
  if (max_positions < 1 || max_positions > c.seq_len) {
    throw Error("positions " + std::to_string(max_positions) + " outside 1.." +
                std::to_string(c.seq_len));
  }
  if (max_batch < 1) throw Error("batch " + std::to_string(max_batch) + " below 1");
  const std::size_t batch = max_batch;
  const std::size_t dim = c.dim * batch, hidden = c.hidden_dim * batch, kv_dim = c.kv_dim();
  const std::size_t positions = max_positions, half_head = c.head_size() / 2;
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * positions * kv_dim;
  const std::size_t vocab = static_cast<std::size_t>(c.vocab_size) * (logits == Logits::all ? batch : 1);
  arena_ = Arena(bytes(c, max_positions, max_batch, logits, kv).total());

  x_ = arena_.allocate<float>(dim);
  xb_ = arena_.allocate<float>(dim);
  xb2_ = arena_.allocate<float>(dim);
  q_ = arena_.allocate<float>(dim);
  k_ = arena_.allocate<float>(kv_dim * batch);
  v_ = arena_.allocate<float>(kv_dim * batch);
  const std::span<float> xq_scales = arena_.allocate<float>(dim);
  hb_ = arena_.allocate<float>(hidden);
  hb2_ = arena_.allocate<float>(hidden);
  const std::span<float> hq_scales = arena_.allocate<float>(hidden);
  att_ = arena_.allocate<float>(static_cast<std::size_t>(c.n_heads) * positions * batch);
  logits_ = arena_.allocate<float>(vocab);
  rope_freq_ = arena_.allocate<float>(half_head);
  rope_cos_ = arena_.allocate<float>(half_head * batch);
  rope_sin_ = arena_.allocate<float>(half_head * batch);
  xq_ = {arena_.allocate<std::int8_t>(dim), xq_scales,
         arena_.allocate<BlockQ8_0>(dim / kBlockValues),
         arena_.allocate<std::int32_t>(dim / kBlockValues)};
  hq_ = {arena_.allocate<std::int8_t>(hidden), hq_scales,
         arena_.allocate<BlockQ8_0>(hidden / kBlockValues),
         arena_.allocate<std::int32_t>(hidden / kBlockValues)};
  if (kv == KvCache::q8) {
    const std::size_t vectors = cache / c.head_size();
    key_cache8_ = arena_.allocate<std::int8_t>(cache);
    key_scales_ = arena_.allocate<float>(vectors);
    value_cache8_ = arena_.allocate<std::int8_t>(cache);
    value_scales_ = arena_.allocate<float>(vectors);
  } else if (kv == KvCache::f16) {
    key_cache16_ = arena_.allocate<std::uint16_t>(cache);
    value_cache16_ = arena_.allocate<std::uint16_t>(cache);
  } else {
    key_cache_ = arena_.allocate<float>(cache);
    value_cache_ = arena_.allocate<float>(cache);
  }

  kernels::rope_frequencies(rope_freq_, c.rope_theta, c.head_size());
}

// Each product's matrix comes from the weight source piece by piece. Resident pieces stay
// valid, so they gather into one parallel region (q, k and v together); a streamed piece holds
// a stream buffer, so its region runs before the buffer goes back for the next read.
void Transformer::matmul(std::initializer_list<Product> products, std::span<const float> x,
                         const InputScratch& scratch, int positions) {
  std::array<Matrix, kMaxJobs> formats{};  // each product's matrix as the model describes it
  for (std::size_t i = 0; i < products.size(); ++i) {
    const Product& p = products.begin()[i];
    formats[i] = tensor_of(model_.weights, p.role, p.layer);
  }
  const MatvecInput in =
      prepare_input(std::span(formats).first(products.size()), x, positions, scratch);
  std::array<PieceJob, kMaxJobs> jobs;
  std::size_t gathered = 0;
  for (const Product& p : products) {
    const std::size_t stride = p.out.size() / static_cast<std::size_t>(positions);
    for (bool last = false; !last;) {
      const WeightPiece piece = weights_->next(p.role, p.layer);
      last = piece.last;
      if (piece.on_demand) {
        read_and_multiply({p.out.data() + piece.first_row, stride, piece.matrix}, piece.rows_per_read, in);
        weights_->done();
        continue;
      }
      jobs[gathered++] = {p.out.data() + piece.first_row, stride, piece.matrix};
      if (piece.streamed || gathered == kMaxJobs) {
        run_jobs(std::span(jobs).first(gathered), in, piece.streamed ? kParallelStreamedWork : kParallelWork);
        gathered = 0;
        weights_->done();
      }
    }
  }
  run_jobs(std::span(jobs).first(gathered), in, kParallelWork);
}

// A matrix read on demand: its rows cut into tasks of at most rows_per_read (as many tasks for
// each thread), each read and then multiplied by one thread while they are in its cache. A
// failed read ends the region's work and is rethrown here, on the forward pass's thread.
void Transformer::read_and_multiply(const PieceJob& job, int rows_per_read, const MatvecInput& in) {
  const int threads = pool_ == nullptr ? 1 : pool_->size();
  const int rows = job.w.rows;
  int per_task = rows_per_read >= kRowTile ? rows_per_read / kRowTile * kRowTile : rows_per_read;
  int tasks = (rows + per_task - 1) / per_task;
  tasks = (tasks + threads - 1) / threads * threads;
  if (per_task >= kRowTile) per_task = std::min(per_task, tile_rows_per_task(rows, tasks));
  tasks = (rows + per_task - 1) / per_task;
  std::atomic<bool> failed = false;
  std::mutex error_mutex;
  std::exception_ptr error;
  auto task = [&](int i) {
    if (failed.load(std::memory_order_relaxed)) return;
    const int first = i * per_task, count = std::min(rows, first + per_task) - first;
    try {
      const ReadRows read = weights_->read_rows(first, count);
      kernels::matvec_rows(job.out + first, job.stride, read.matrix, in, 0, count);
      weights_->release(read);
    } catch (...) {
      const std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  if (pool_ == nullptr) {
    for (int i = 0; i < tasks; ++i) task(i);
  } else {
    pool_->run(tasks, task);
  }
  if (error) std::rethrow_exception(error);
}

// Every job of one input in one parallel region: each piece's rows are cut into a few tasks
// per thread; each row's sum stays whole in one task.
void Transformer::run_jobs(std::span<const PieceJob> jobs, const MatvecInput& in,
                           std::int64_t parallel_work) {
  std::int64_t work = 0;
  for (const PieceJob& j : jobs) work += static_cast<std::int64_t>(j.w.rows) * j.w.cols;
  work *= in.positions;
  if (pool_ == nullptr || pool_->size() == 1 || work < parallel_work) {
    for (const PieceJob& j : jobs) kernels::matvec_rows(j.out, j.stride, j.w, in, 0, j.w.rows);
    return;
  }
  std::array<int, kMaxJobs + 1> first_task{};  // each job's first task
  std::array<int, kMaxJobs> rows_per_task{};
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const int rows = jobs[i].w.rows;
    const int tasks = std::max(1, std::min(rows / kRowTile, 4 * pool_->size()));
    rows_per_task[i] = tile_rows_per_task(rows, tasks);
    first_task[i + 1] = first_task[i] + (rows + rows_per_task[i] - 1) / rows_per_task[i];
  }
  auto rows = [&](int task) {
    std::size_t k = 0;
    while (task >= first_task[k + 1]) ++k;
    const PieceJob& j = jobs[k];
    const int begin = (task - first_task[k]) * rows_per_task[k];
    kernels::matvec_rows(j.out, j.stride, j.w, in, begin, std::min(j.w.rows, begin + rows_per_task[k]));
  };
  pool_->run(first_task[jobs.size()], rows);
}

// RoPE on the batch's queries and new keys, as llama2.c rotates one position.
void Transformer::rotate(int batch) {
  const Config& c = config();
  const int dim = c.dim, kv_dim = c.kv_dim(), head_size = c.head_size();
  const std::size_t half_head = rope_freq_.size();
  for (int slot = 0; slot < batch; ++slot) {
    const std::span<float> q = vector_at(q_, slot, dim);
    const std::span<float> k = vector_at(k_, slot, kv_dim);
    const float* cos = rope_cos_.data() + slot * half_head;
    const float* sin = rope_sin_.data() + slot * half_head;
    for (int i = 0; i < dim; i += 2) {
      const std::size_t pair = static_cast<std::size_t>(i % head_size) / 2;
      const float fcr = cos[pair], fci = sin[pair];
      const int rotations = i < kv_dim ? 2 : 1;  // q always, k only within kv_dim
      for (int r = 0; r < rotations; ++r) {
        float* vec = r == 0 ? q.data() : k.data();
        const float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
  }
}

// The cache is head-major (layer, kv head, position, head_size): one head's keys for every
// position lie one after another, so attention reads them as one stream.
std::size_t Transformer::cache_offset(int layer, int kv_head, int pos) const {
  const Config& c = config();
  const std::size_t head = static_cast<std::size_t>(layer) * c.n_kv_heads + kv_head;
  return (head * max_positions_ + pos) * c.head_size();
}

// An int8 cache's scale for the vector at cache_offset(layer, kv_head, pos).
std::size_t Transformer::scale_offset(int layer, int kv_head, int pos) const {
  return cache_offset(layer, kv_head, pos) / config().head_size();
}

void Transformer::store_kv(int layer, int pos, int batch) {
  const Config& c = config();
  const std::size_t head_size = c.head_size(), kv_dim = c.kv_dim();
  for (int slot = 0; slot < batch; ++slot) {
    for (int h = 0; h < c.n_kv_heads; ++h) {
      const std::size_t from = slot * kv_dim + h * head_size, to = cache_offset(layer, h, pos + slot);
      if (kv_ == KvCache::q8) {
        const std::size_t scale = scale_offset(layer, h, pos + slot);
        key_scales_[scale] = kernels::quantize_cached(k_.subspan(from, head_size), key_cache8_.data() + to);
        value_scales_[scale] = kernels::quantize_cached(v_.subspan(from, head_size), value_cache8_.data() + to);
      } else if (kv_ == KvCache::f16) {
        for (std::size_t i = 0; i < head_size; ++i) {
          key_cache16_[to + i] = f32_to_f16(k_[from + i]);
          value_cache16_[to + i] = f32_to_f16(v_[from + i]);
        }
      } else {
        std::memcpy(key_cache_.data() + to, k_.data() + from, head_size * sizeof(float));
        std::memcpy(value_cache_.data() + to, v_.data() + from, head_size * sizeof(float));
      }
    }
  }
}

// One head of one batch slot at position pos: scores over positions 0..pos, in llama2.c's order.
void Transformer::attend_head(int layer, int pos, int slot, int h) {
  if (kv_ == KvCache::q8) {
    attend_head_over<std::int8_t>(key_cache8_, value_cache8_, layer, pos, slot, h);
  } else if (kv_ == KvCache::f16) {
    attend_head_over<std::uint16_t>(key_cache16_, value_cache16_, layer, pos, slot, h);
  } else {
    attend_head_over<float>(key_cache_, value_cache_, layer, pos, slot, h);
  }
}

template <class Cached>
void Transformer::attend_head_over(std::span<const Cached> keys, std::span<const Cached> values,
                                   int layer, int pos, int slot, int h) {
  const Config& c = config();
  const int head_size = c.head_size();
  const float scale = std::sqrt(static_cast<float>(head_size));
  const std::size_t vector = static_cast<std::size_t>(slot) * c.dim + static_cast<std::size_t>(h) * head_size;
  const std::span<float> att =
      att_.subspan((static_cast<std::size_t>(slot) * c.n_heads + h) * max_positions_,
                   static_cast<std::size_t>(pos) + 1);
  const std::size_t head = cache_offset(layer, h / c.kv_mul(), 0);
  const std::span<float> out = xb_.subspan(vector, static_cast<std::size_t>(head_size));
  if constexpr (std::is_same_v<Cached, std::int8_t>) {
    const std::size_t scales = scale_offset(layer, h / c.kv_mul(), 0);
    kernels::attention_scores(att, q_.data() + vector, keys.data() + head,
                              key_scales_.data() + scales, head_size, scale);
    kernels::softmax(att);
    kernels::attention_mix(out, att, values.data() + head, value_scales_.data() + scales);
  } else {
    kernels::attention_scores(att, q_.data() + vector, keys.data() + head, head_size, scale);
    kernels::softmax(att);
    kernels::attention_mix(out, att, values.data() + head);
  }
}

// Heads are independent, and so are the batch's positions once their keys and values are in
// the cache (each attends causally, up to itself): one task per position and head.
void Transformer::attention(int layer, int pos, int batch) {
  const Config& c = config();
  auto head = [&](int task) { attend_head(layer, pos + task / c.n_heads, task / c.n_heads, task % c.n_heads); };
  const int tasks = batch * c.n_heads;
  const std::int64_t work = static_cast<std::int64_t>(pos + batch) * batch * c.dim * 2;
  if (pool_ == nullptr || work < kParallelWork) {
    for (int t = 0; t < tasks; ++t) head(t);
  } else {
    pool_->run(tasks, head);
  }
}

std::span<float> Transformer::forward(int token, int pos) {
  return forward_batch(std::span(&token, 1), pos, Logits::last);
}

std::span<float> Transformer::prefill(std::span<const int> tokens, int pos) {
  std::span<float> logits;
  for (std::size_t done = 0; done < tokens.size(); done += static_cast<std::size_t>(max_batch_)) {
    const std::span<const int> part =
        tokens.subspan(done, std::min<std::size_t>(max_batch_, tokens.size() - done));
    logits = forward_batch(part, pos + static_cast<int>(done), Logits::last);
  }
  return logits;
}

std::span<float> Transformer::forward_batch(std::span<const int> tokens, int pos, Logits which) {
  const Config& c = config();
  const Weights& w = model_.weights;
  const int batch = static_cast<int>(tokens.size());
  if (batch < 1 || batch > max_batch_ || pos < 0 || pos + batch > max_positions_) {
    throw Error("forward_batch: " + std::to_string(batch) + " tokens at position " +
                std::to_string(pos) + " do not fit a batch of " + std::to_string(max_batch_) +
                " and " + std::to_string(max_positions_) + " positions");
  }
  if (which == Logits::all && logits_kept_ != Logits::all && batch > 1) {
    throw Error("forward_batch: every position's logits asked of a transformer planned for the last");
  }
  const std::size_t dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  const std::size_t half_head = rope_freq_.size();
  const std::span<float> x = x_.first(dim * batch), xb = xb_.first(dim * batch);
  const std::span<float> xb2 = xb2_.first(dim * batch), q = q_.first(dim * batch);
  const std::span<float> hb = hb_.first(hidden * batch), hb2 = hb2_.first(hidden * batch);

  for (int s = 0; s < batch; ++s) {
    const EmbeddingRow row = weights_->embedding(tokens[s]);
    kernels::embedding_row(vector_at(x, s, dim), row.table, row.row);
    // The rotation angles depend only on the position: computed once for all layers.
    kernels::rope_angles(rope_freq_, pos + s, vector_at(rope_cos_, s, half_head),
                         vector_at(rope_sin_, s, half_head));
  }

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::span<float> k = k_.first(kv_dim * batch), v = v_.first(kv_dim * batch);

    for (int s = 0; s < batch; ++s) {
      kernels::rmsnorm(vector_at(xb, s, dim), vector_at(x, s, dim), lw.attn_norm, c.norm_eps);
    }
    matmul({{q, TensorRole::wq, l}, {k, TensorRole::wk, l}, {v, TensorRole::wv, l}}, xb, xq_, batch);
    rotate(batch);
    store_kv(l, pos, batch);
    attention(l, pos, batch);

    matmul({{xb2, TensorRole::wo, l}}, xb, xq_, batch);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += xb2[i];

    for (int s = 0; s < batch; ++s) {
      kernels::rmsnorm(vector_at(xb, s, dim), vector_at(x, s, dim), lw.ffn_norm, c.norm_eps);
    }
    matmul({{hb, TensorRole::w1, l}, {hb2, TensorRole::w3, l}}, xb, xq_, batch);
    for (int s = 0; s < batch; ++s) {
      kernels::swiglu(vector_at(hb, s, hidden), vector_at(hb2, s, hidden));
    }
    matmul({{xb, TensorRole::w2, l}}, hb, hq_, batch);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += xb[i];
  }

  // Logits of the last position only, unless every one is asked for.
  const int first = which == Logits::all ? 0 : batch - 1;
  const std::span<float> out = x.subspan(first * dim);
  for (int s = 0; s < batch - first; ++s) {
    const std::span<float> xs = vector_at(out, s, dim);
    kernels::rmsnorm(xs, xs, w.final_norm, c.norm_eps);
  }
  const std::span<float> logits =
      logits_.first(static_cast<std::size_t>(c.vocab_size) * (batch - first));
  matmul({{logits, TensorRole::classifier, -1}}, out, xq_, batch - first);
  return logits;
}

}  // namespace shoehorn
