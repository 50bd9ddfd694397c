#include "shoehorn/model/transformer.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <type_traits>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/threads.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/quant/f16.hpp"

namespace shoehorn {

namespace {

using kernels::MatvecInput;

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

// out += bias for each of the positions' vectors in out, one after another.
void add_bias(std::span<float> out, std::span<const float> bias) {
  for (std::size_t at = 0; at < out.size(); at += bias.size()) {
    for (std::size_t i = 0; i < bias.size(); ++i) out[at + i] += bias[i];
  }
}

// RoPE on `heads` heads of one vector, each pair by its angle's cos and sin.
void rotate_heads(float* vec, int heads, int head_size, RopePairs pairs, const float* cos,
                  const float* sin) {
  const int half_head = head_size / 2;
  for (int h = 0; h < heads; ++h) {
    float* head = vec + static_cast<std::size_t>(h) * head_size;
    for (int k = 0; k < half_head; ++k) {
      float* a = head + k * pairs.step;
      float* b = a + pairs.partner;
      const float v0 = *a, v1 = *b;
      *a = v0 * cos[k] - v1 * sin[k];
      *b = v0 * sin[k] + v1 * cos[k];
    }
  }
}

// The model's RoPE frequencies: llama2.c's, each divided by its rope_freqs factor when the
// model has them (Llama 3's scaling, as ggml applies freq_factors: the angle over the factor).
void model_rope_frequencies(std::span<float> freq, const Model& model) {
  const Config& c = model.config();
  kernels::rope_frequencies(freq, c.rope_theta, c.head_size());
  const std::span<const float> factors = model.weights.rope_freqs;
  if (factors.empty()) return;
  for (std::size_t k = 0; k < freq.size(); ++k) {
    if (!std::isfinite(factors[k]) || factors[k] <= 0.0f) {
      throw Error(model.file.path + ": rope_freqs.weight: factor " + std::to_string(k) + " is " +
                  std::to_string(factors[k]) + "; each must be a positive finite number");
    }
    freq[k] /= factors[k];
  }
}

}  // namespace

RopePairs rope_pairs(const Config& c) {
  if (c.rope_style() == RopeStyle::neox) return {1, c.head_size() / 2};
  return {2, 1};
}

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

namespace {

// Every buffer of the forward pass, in order: from an ArenaSizer to size the arena, from the Arena to
// place them, so the two can never disagree.
template <class Allocate>
RunState lay_out_state(Allocate& a, const TransformerShape& shape) {
  const Config& c = shape.config;
  const std::size_t batch = shape.max_batch;
  const std::size_t dim = c.dim * batch, hidden = c.hidden_dim * batch;
  const std::size_t half_head = c.head_size() / 2;
  RunState s;
  s.x = a.template allocate<float>(dim);
  s.xb = a.template allocate<float>(dim);
  s.xb2 = a.template allocate<float>(dim);
  s.q = a.template allocate<float>(dim);
  s.k = a.template allocate<float>(c.kv_dim() * batch);
  s.v = a.template allocate<float>(c.kv_dim() * batch);
  s.hb = a.template allocate<float>(hidden);
  s.hb2 = a.template allocate<float>(hidden);
  s.att = a.template allocate<float>(static_cast<std::size_t>(c.n_heads) * shape.max_positions * batch);
  s.logits = a.template allocate<float>(static_cast<std::size_t>(c.vocab_size) *
                                        (shape.logits == Logits::all ? batch : 1));
  s.rope_freq = a.template allocate<float>(half_head);
  s.rope_cos = a.template allocate<float>(half_head * batch);
  s.rope_sin = a.template allocate<float>(half_head * batch);
  s.xq = kernels::input_scratch(a, shape.activations, dim);
  s.hq = kernels::input_scratch(a, shape.activations, hidden);
  return s;
}

template <class Allocate>
KvStore lay_out_cache(Allocate& a, const TransformerShape& shape) {
  const Config& c = shape.config;
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * shape.max_positions * c.kv_dim();
  const std::size_t vectors = cache / c.head_size();
  KvStore kv;
  if (shape.kv == KvCache::q8) {
    kv.keys8 = a.template allocate<std::int8_t>(cache);
    kv.key_scales = a.template allocate<float>(vectors);
    kv.values8 = a.template allocate<std::int8_t>(cache);
    kv.value_scales = a.template allocate<float>(vectors);
  } else if (shape.kv == KvCache::f16) {
    kv.keys16 = a.template allocate<std::uint16_t>(cache);
    kv.values16 = a.template allocate<std::uint16_t>(cache);
  } else {
    kv.keys = a.template allocate<float>(cache);
    kv.values = a.template allocate<float>(cache);
  }
  return kv;
}

}  // namespace

TransformerShape Transformer::shape(const ModelFile& file, int max_positions, int max_batch,
                                    Logits logits, KvCache kv) {
  TransformerShape shape{file.config, {}, max_positions, max_batch, logits, kv};
  for (const TensorInfo& t : file.tensors) {
    if (is_matrix(t.role)) shape.activations.add(t.type);
  }
  return shape;
}

TransformerBytes Transformer::bytes(const TransformerShape& shape) {
  ArenaSizer state, cache;
  lay_out_state(state, shape);
  lay_out_cache(cache, shape);
  return {state.plan.bytes(), cache.plan.bytes()};
}

Transformer::Transformer(const Model& model, int max_positions, ThreadPool* pool, int max_batch,
                         WeightSource* weights, Logits logits, KvCache kv, MemoryBlock* memory)
    : model_(model),
      max_positions_(max_positions),
      max_batch_(max_batch),
      pool_(pool),
      resident_(model.weights),
      weights_(weights != nullptr ? weights : &resident_),
      logits_kept_(logits),
      kv_(kv),
      rope_(rope_pairs(model.config())) {
  const Config& c = model.config();
  if (max_positions < 1 || max_positions > c.seq_len) {
    throw Error("positions " + std::to_string(max_positions) + " outside 1.." +
                std::to_string(c.seq_len));
  }
  if (max_batch < 1) throw Error("batch " + std::to_string(max_batch) + " below 1");
  const TransformerShape shape = Transformer::shape(model.file, max_positions, max_batch, logits, kv);
  arena_ = make_arena(bytes(shape).total(), memory);
  s_ = lay_out_state(arena_, shape);
  cache_ = lay_out_cache(arena_, shape);
  model_rope_frequencies(s_.rope_freq, model);
}

// Each product's matrix comes from the weight source piece by piece. Resident pieces stay
// valid, so they gather into one parallel region (q, k and v together); a streamed piece holds
// a stream buffer, so its region runs before the buffer goes back for the next read.
void Transformer::matmul(std::initializer_list<Product> products, std::span<const float> x,
                         const kernels::InputScratch& scratch, int positions) {
  std::array<Matrix, kMaxJobs> formats{};  // each product's matrix as the model describes it
  for (std::size_t i = 0; i < products.size(); ++i) {
    const Product& p = products.begin()[i];
    formats[i] = tensor_of(model_.weights, p.role, p.layer);
  }
  const MatvecInput in =
      kernels::prepare_input(std::span(formats).first(products.size()), x, positions, scratch,
                             kernel_path_);
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
  Mutex error_mutex;
  std::exception_ptr error;
  auto task = [&](int i) {
    if (failed.load(std::memory_order_relaxed)) return;
    const int first = i * per_task, count = std::min(rows, first + per_task) - first;
    try {
      const ReadRows read = weights_->read_rows(first, count);
      kernels::matvec_rows(job.out + first, job.stride, read.matrix, in, 0, count, kernel_path_);
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
    for (const PieceJob& j : jobs) kernels::matvec_rows(j.out, j.stride, j.w, in, 0, j.w.rows, kernel_path_);
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
    kernels::matvec_rows(j.out, j.stride, j.w, in, begin, std::min(j.w.rows, begin + rows_per_task[k]),
                         kernel_path_);
  };
  pool_->run(first_task[jobs.size()], rows);
}

// The q, k and v biases (qwen2's) on the batch's projections.
void Transformer::add_biases(const LayerWeights& lw, int batch) {
  const Config& c = config();
  add_bias(s_.q.first(static_cast<std::size_t>(c.dim) * batch), lw.q_bias);
  add_bias(s_.k.first(static_cast<std::size_t>(c.kv_dim()) * batch), lw.k_bias);
  add_bias(s_.v.first(static_cast<std::size_t>(c.kv_dim()) * batch), lw.v_bias);
}

// RoPE on the batch's queries and new keys: each head's pairs (rope_) by its position's angles.
void Transformer::rotate(int batch) {
  const Config& c = config();
  const int dim = c.dim, kv_dim = c.kv_dim(), head_size = c.head_size();
  const std::size_t half_head = s_.rope_freq.size();
  for (int slot = 0; slot < batch; ++slot) {
    const float* cos = s_.rope_cos.data() + slot * half_head;
    const float* sin = s_.rope_sin.data() + slot * half_head;
    rotate_heads(vector_at(s_.q, slot, dim).data(), c.n_heads, head_size, rope_, cos, sin);
    rotate_heads(vector_at(s_.k, slot, kv_dim).data(), c.n_kv_heads, head_size, rope_, cos, sin);
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
        cache_.key_scales[scale] = kernels::quantize_cached(s_.k.subspan(from, head_size), cache_.keys8.data() + to);
        cache_.value_scales[scale] = kernels::quantize_cached(s_.v.subspan(from, head_size), cache_.values8.data() + to);
      } else if (kv_ == KvCache::f16) {
        for (std::size_t i = 0; i < head_size; ++i) {
          cache_.keys16[to + i] = f32_to_f16(s_.k[from + i]);
          cache_.values16[to + i] = f32_to_f16(s_.v[from + i]);
        }
      } else {
        std::memcpy(cache_.keys.data() + to, s_.k.data() + from, head_size * sizeof(float));
        std::memcpy(cache_.values.data() + to, s_.v.data() + from, head_size * sizeof(float));
      }
    }
  }
}

namespace {

// Floats to the nearest half float and back (ggml's F32-to-F16 conversion of a product's input).
void round_to_half(std::span<float> values) {
  for (float& v : values) v = f16_to_f32(f32_to_f16(v));
}

}  // namespace

// One head of one batch slot at position pos: scores over positions 0..pos, in llama2.c's order.
void Transformer::attend_head(int layer, int pos, int slot, int h) {
  if (kv_ == KvCache::q8) {
    attend_head_over<std::int8_t>(cache_.keys8, cache_.values8, layer, pos, slot, h);
  } else if (kv_ == KvCache::f16) {
    attend_head_over<std::uint16_t>(cache_.keys16, cache_.values16, layer, pos, slot, h);
  } else {
    attend_head_over<float>(cache_.keys, cache_.values, layer, pos, slot, h);
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
      s_.att.subspan((static_cast<std::size_t>(slot) * c.n_heads + h) * max_positions_,
                   static_cast<std::size_t>(pos) + 1);
  const std::size_t head = cache_offset(layer, h / c.kv_mul(), 0);
  const std::span<float> out = s_.xb.subspan(vector, static_cast<std::size_t>(head_size));
  if constexpr (std::is_same_v<Cached, std::int8_t>) {
    const std::size_t scales = scale_offset(layer, h / c.kv_mul(), 0);
    kernels::attention_scores(att, s_.q.data() + vector, keys.data() + head,
                              cache_.key_scales.data() + scales, head_size, scale, kernel_path_);
    kernels::softmax(att);
    kernels::attention_mix(out, att, values.data() + head, cache_.value_scales.data() + scales,
                           kernel_path_);
  } else {
    const std::span<float> q = s_.q.subspan(vector, static_cast<std::size_t>(head_size));
    if constexpr (std::is_same_v<Cached, std::uint16_t>) round_to_half(q);
    kernels::attention_scores(att, q.data(), keys.data() + head, head_size, scale, kernel_path_);
    kernels::softmax(att);
    if constexpr (std::is_same_v<Cached, std::uint16_t>) round_to_half(att);
    kernels::attention_mix(out, att, values.data() + head, kernel_path_);
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

void Transformer::set_kernel_path(kernels::KernelPath path) {
  kernels::require_supported(path);
  kernel_path_ = path;
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
  const std::size_t half_head = s_.rope_freq.size();
  const std::span<float> x = s_.x.first(dim * batch), xb = s_.xb.first(dim * batch);
  const std::span<float> xb2 = s_.xb2.first(dim * batch), q = s_.q.first(dim * batch);
  const std::span<float> hb = s_.hb.first(hidden * batch), hb2 = s_.hb2.first(hidden * batch);

  for (int s = 0; s < batch; ++s) {
    const EmbeddingRow row = weights_->embedding(tokens[s]);
    kernels::embedding_row(vector_at(x, s, dim), row.table, row.row);
    // The rotation angles depend only on the position: computed once for all layers.
    kernels::rope_angles(s_.rope_freq, pos + s, vector_at(s_.rope_cos, s, half_head),
                         vector_at(s_.rope_sin, s, half_head));
  }

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::span<float> k = s_.k.first(kv_dim * batch), v = s_.v.first(kv_dim * batch);

    for (int s = 0; s < batch; ++s) {
      kernels::rmsnorm(vector_at(xb, s, dim), vector_at(x, s, dim), lw.attn_norm, c.norm_eps);
    }
    matmul({{q, TensorRole::wq, l}, {k, TensorRole::wk, l}, {v, TensorRole::wv, l}}, xb, s_.xq, batch);
    if (c.qkv_bias) add_biases(lw, batch);
    rotate(batch);
    store_kv(l, pos, batch);
    attention(l, pos, batch);

    matmul({{xb2, TensorRole::wo, l}}, xb, s_.xq, batch);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += xb2[i];

    for (int s = 0; s < batch; ++s) {
      kernels::rmsnorm(vector_at(xb, s, dim), vector_at(x, s, dim), lw.ffn_norm, c.norm_eps);
    }
    matmul({{hb, TensorRole::w1, l}, {hb2, TensorRole::w3, l}}, xb, s_.xq, batch);
    for (int s = 0; s < batch; ++s) {
      kernels::swiglu(vector_at(hb, s, hidden), vector_at(hb2, s, hidden));
    }
    matmul({{xb, TensorRole::w2, l}}, hb, s_.hq, batch);
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
      s_.logits.first(static_cast<std::size_t>(c.vocab_size) * (batch - first));
  matmul({{logits, TensorRole::classifier, -1}}, out, s_.xq, batch - first);
  return logits;
}

}  // namespace shoehorn
