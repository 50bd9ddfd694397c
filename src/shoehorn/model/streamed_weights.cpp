#include "shoehorn/model/streamed_weights.hpp"

#include <algorithm>
#include <utility>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/model/tensor_rows.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

namespace {

// The largest buffer one row of a streamed tensor needs.
std::size_t largest_row(const ModelFile& file, const MemoryPlan& plan) {
  std::size_t bytes = 0;
  for (const StreamStep& s : plan.steps) bytes = std::max(bytes, rows_buffer_bytes(file.tensors[s.tensor], 1));
  return bytes;
}

}  // namespace

StreamedWeights::StreamedWeights(const Model& model, const ByteSource& source,
                                 const MemoryPlan& plan, StreamOptions options)
    : model_(model),
      source_(source),
      plan_(plan),
      options_(options),
      on_demand_(!kHaveThreads || source.parallel_reads_help()) {
  const TensorInfo& embedding = model.file.tensors[plan.embedding_tensor];
  const std::size_t row_bytes = plan.resident[plan.embedding_tensor] ? 0 : rows_buffer_bytes(embedding, 1);
  // The plan's stream buffers: its slots, or the same bytes shared out among the readers.
  const std::size_t each_slot = to_size(plan.slot_bytes, "stream slot");
  const std::size_t stream_bytes = size_product(static_cast<std::size_t>(plan.slots), each_slot, "stream buffers");
  std::size_t buffers = static_cast<std::size_t>(plan.slots), each = each_slot;
  if (on_demand_ && !plan.steps.empty()) {
    const std::size_t row = largest_row(model.file, plan);
    buffers = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(options.readers, 1)), 1,
                                       stream_bytes / align_up(row, kArenaAlignment));
    each = stream_bytes / buffers / kArenaAlignment * kArenaAlignment;
  }
  ArenaPlan arena;
  for (std::size_t i = 0; i < buffers; ++i) arena.add<std::byte>(each);
  arena.add<std::byte>(row_bytes);
  arena_ = make_arena(arena.bytes(), options.memory);
  std::vector<std::span<std::byte>> spans;
  for (std::size_t i = 0; i < buffers; ++i) spans.push_back(arena_.allocate<std::byte>(each));
  row_buffer_ = arena_.allocate<std::byte>(row_bytes);
  if (plan.steps.empty()) return;
  if (on_demand_) {
    read_buffers_ = std::move(spans);
    buffer_taken_ = std::make_unique<std::atomic<bool>[]>(read_buffers_.size());
    return;
  }
#if SHOEHORN_THREADS
  slots_ = std::vector<Slot>(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) slots_[i].buffer = spans[i];
  thread_ = std::thread([this] { prefetch(); });
#endif
}

StreamedWeights::~StreamedWeights() {
#if SHOEHORN_THREADS
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  emptied_.notify_all();
  if (thread_.joinable()) thread_.join();
#endif
}

#if SHOEHORN_THREADS

// Reads a slot's piece, then checks that the file is still the one that was planned (a
// truncated or rewritten file is an error, not other weights).
void StreamedWeights::read_slot(Slot& slot) {
  const StreamStep& s = plan_.steps[slot.step];
  const TensorInfo& t = model_.file.tensors[s.tensor];
  std::exception_ptr error;
  Matrix matrix;
  try {
    matrix = shoehorn::read_rows(t, s.first_row, s.rows, source_, model_.file.byte_order, slot.buffer);
    source_.check_unchanged();
    if (options_.drop_page_cache) source_.drop_cached(t.offset + row_bytes(t, s.first_row), s.bytes);
    bytes_read_ += s.bytes;
    ++reads_;
  } catch (...) {
    error = std::current_exception();
  }
  {
    const std::lock_guard lock(mutex_);
    slot.matrix = matrix;
    slot.error = error;
    slot.full = true;
  }
  filled_.notify_all();
}

// The prefetch thread: reads the steps in order into the slots in turn, round and round,
// waiting for the forward pass to give each slot back. It stops at a failure, which the
// forward pass rethrows.
void StreamedWeights::prefetch() {
  std::size_t step = 0;
  for (std::size_t n = 0;; ++n) {
    Slot& slot = slots_[n % slots_.size()];
    {
      std::unique_lock lock(mutex_);
      emptied_.wait(lock, [&] { return stopping_ || !slot.full; });
      if (stopping_) return;
    }
    slot.step = step;
    read_slot(slot);
    if (slot.error) return;
    step = (step + 1) % plan_.steps.size();
  }
}
#endif  // SHOEHORN_THREADS

const StreamStep& StreamedWeights::expect_step(TensorRole role, int layer) const {
  const StreamStep& s = plan_.steps[step_];
  if (s.role != role || s.layer != layer) {
    throw Error("internal error: the stream holds " + tensor_name(s.role, s.layer) +
                " where the forward pass asks for " + tensor_name(role, layer));
  }
  return s;
}

WeightPiece StreamedWeights::next(TensorRole role, int layer) {
  // A streamed tensor's matrix in the model describes it (load_planned) and holds no data.
  const Matrix matrix = tensor_of(model_.weights, role, layer);
  if (has_data(matrix)) return {matrix, 0, true};
  if (on_demand_) {
    const StreamStep& s = expect_step(role, layer);
    const TensorInfo& t = model_.file.tensors[s.tensor];
    while (!plan_.steps[step_].last) ++step_;  // the matrix is one piece, whatever the plan cut
    step_ = (step_ + 1) % plan_.steps.size();
    reading_ = s.tensor;
    holding_ = true;
    WeightPiece piece{matrix, 0, true, true};
    piece.on_demand = true;
    piece.rows_per_read = rows_fitting(t, std::min<std::uint64_t>(read_buffers_.front().size(), options_.read_bytes));
    return piece;
  }
#if SHOEHORN_THREADS
  Slot& slot = slots_[consumed_ % slots_.size()];
  std::unique_lock lock(mutex_);
  filled_.wait(lock, [&] { return slot.full; });
  if (slot.error) std::rethrow_exception(slot.error);
  const StreamStep& s = expect_step(role, layer);
  step_ = (step_ + 1) % plan_.steps.size();
  holding_ = true;
  return {slot.matrix, s.first_row, s.last, true};
#else
  throw Error("internal error: a prefetched stream in a build without threads");
#endif
}

// Takes a free read buffer, polling while every one is taken (only when more threads multiply
// than there are readers). A thread takes the buffer it had last when it is free: its lines are
// in that core's cache, where writing them again costs no transfer from another core.
std::span<std::byte> StreamedWeights::claim_buffer(int& index) {
  SHOEHORN_THREAD_LOCAL std::size_t last = 0;
  const std::size_t n = read_buffers_.size();
  for (;;) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (last + k) % n;
      if (!buffer_taken_[i].load(std::memory_order_relaxed) &&
          !buffer_taken_[i].exchange(true, std::memory_order_acquire)) {
        last = i;
        index = static_cast<int>(i);
        return read_buffers_[i];
      }
    }
    cpu_relax();
  }
}

ReadRows StreamedWeights::read_rows(int first, int count) {
  const TensorInfo& t = model_.file.tensors[reading_];
  ReadRows rows;
  const std::span<std::byte> buffer = claim_buffer(rows.buffer);
  try {
    rows.matrix = shoehorn::read_rows(t, first, count, source_, model_.file.byte_order, buffer);
  } catch (...) {
    release(rows);
    throw;
  }
  const std::uint64_t bytes = row_bytes(t, count);
  if (options_.drop_page_cache) source_.drop_cached(t.offset + row_bytes(t, first), bytes);
  bytes_read_ += bytes;
  ++reads_;
  return rows;
}

void StreamedWeights::release(const ReadRows& rows) {
  buffer_taken_[static_cast<std::size_t>(rows.buffer)].store(false, std::memory_order_release);
}

// The forward pass is done with the piece. A matrix read on demand is checked once, after all
// its reads: the file must still be the one that was planned.
void StreamedWeights::done() {
  if (!holding_) return;  // the piece was resident
  holding_ = false;
  if (on_demand_) {
    source_.check_unchanged();
    return;
  }
#if SHOEHORN_THREADS
  {
    const std::lock_guard lock(mutex_);
    slots_[consumed_ % slots_.size()].full = false;
  }
  ++consumed_;
  emptied_.notify_all();
#endif
}

EmbeddingRow StreamedWeights::embedding(int token) {
  if (plan_.resident[plan_.embedding_tensor]) return {model_.weights.token_embedding, token};
  const TensorInfo& t = model_.file.tensors[plan_.embedding_tensor];
  const Matrix row = shoehorn::read_rows(t, token, 1, source_, model_.file.byte_order, row_buffer_);
  source_.check_unchanged();
  bytes_read_ += row_bytes(t, 1);
  return {row, 0};
}

}  // namespace shoehorn
