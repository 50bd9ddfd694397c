#include "shoehorn/model/streamed_weights.hpp"

#include "shoehorn/io/error.hpp"
#include "shoehorn/model/tensor_rows.hpp"

namespace shoehorn {

StreamedWeights::StreamedWeights(const Model& model, const ByteSource& source,
                                 const MemoryPlan& plan, StreamOptions options)
    : model_(model), source_(source), plan_(plan), options_(options) {
  const TensorInfo& embedding = model.file.tensors[plan.embedding_tensor];
  const std::size_t row_bytes = plan.resident[plan.embedding_tensor] ? 0 : rows_buffer_bytes(embedding, 1);
  ArenaPlan arena;
  for (int i = 0; i < plan.slots; ++i) arena.add<std::byte>(plan.slot_bytes);
  arena.add<std::byte>(row_bytes);
  arena_ = Arena(arena.bytes());
  slots_.resize(static_cast<std::size_t>(plan.slots));
  for (Slot& slot : slots_) slot.buffer = arena_.allocate<std::byte>(plan.slot_bytes);
  row_buffer_ = arena_.allocate<std::byte>(row_bytes);
  if (!plan.steps.empty()) thread_ = std::thread([this] { prefetch(); });
}

StreamedWeights::~StreamedWeights() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  emptied_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t StreamedWeights::bytes_read() const {
  const std::lock_guard lock(mutex_);
  return bytes_read_;
}

// Reads one step's rows into a slot, checking afterwards that the file is still the one that
// was planned (a truncated or rewritten file is an error, not other weights).
void StreamedWeights::fill(Slot& slot, std::size_t step) {
  const StreamStep& s = plan_.steps[step];
  const TensorInfo& t = model_.file.tensors[s.tensor];
  slot.matrix = read_rows(t, s.first_row, s.rows, source_, model_.file.byte_order, slot.buffer);
  source_.check_unchanged();
  if (options_.drop_page_cache) source_.drop_cached(t.offset, t.bytes);
}

// The prefetch thread: fills the slots in turn with the steps in order, round and round,
// waiting for the forward pass to give each slot back.
void StreamedWeights::prefetch() {
  std::size_t step = 0;
  for (std::size_t n = 0;; ++n) {
    Slot& slot = slots_[n % slots_.size()];
    {
      std::unique_lock lock(mutex_);
      emptied_.wait(lock, [&] { return stopping_ || !slot.full; });
      if (stopping_) return;
    }
    std::exception_ptr error;
    try {
      fill(slot, step);
    } catch (...) {
      error = std::current_exception();
    }
    {
      const std::lock_guard lock(mutex_);
      slot.step = step;
      slot.error = error;
      slot.full = true;
      if (!error) bytes_read_ += plan_.steps[step].bytes;
    }
    filled_.notify_all();
    if (error) return;  // the forward pass rethrows it; nothing more is read
    step = (step + 1) % plan_.steps.size();
  }
}

WeightPiece StreamedWeights::next(TensorRole role, int layer) {
  const Matrix resident = tensor_of(model_.weights, role, layer);
  if (has_data(resident)) return {resident, 0, true};
  Slot& slot = slots_[consumed_ % slots_.size()];
  std::unique_lock lock(mutex_);
  filled_.wait(lock, [&] { return slot.full; });
  if (slot.error) std::rethrow_exception(slot.error);
  const StreamStep& s = plan_.steps[slot.step];
  if (s.role != role || s.layer != layer) {
    throw Error("internal error: the stream holds " + tensor_name(s.role, s.layer) +
                " where the forward pass asks for " + tensor_name(role, layer));
  }
  holding_ = true;
  return {slot.matrix, s.first_row, s.last, true};
}

void StreamedWeights::done() {
  if (!holding_) return;  // the piece was resident
  holding_ = false;
  {
    const std::lock_guard lock(mutex_);
    slots_[consumed_ % slots_.size()].full = false;
  }
  ++consumed_;
  emptied_.notify_all();
}

EmbeddingRow StreamedWeights::embedding(int token) {
  if (plan_.resident[plan_.embedding_tensor]) return {model_.weights.token_embedding, token};
  const TensorInfo& t = model_.file.tensors[plan_.embedding_tensor];
  const Matrix row = read_rows(t, token, 1, source_, model_.file.byte_order, row_buffer_);
  source_.check_unchanged();
  const std::lock_guard lock(mutex_);
  bytes_read_ += row_bytes(t, 1);
  return {row, 0};
}

}  // namespace shoehorn
