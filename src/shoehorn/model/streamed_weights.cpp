#include "shoehorn/model/streamed_weights.hpp"

#include <algorithm>
#include <utility>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/model/tensor_rows.hpp"

namespace shoehorn {

StreamedWeights::StreamedWeights(const Model& model, const ByteSource& source,
                                 const MemoryPlan& plan, StreamOptions options)
    : model_(model),
      source_(source),
      plan_(plan),
      options_(options),
      split_reads_(source.parallel_reads_help()) {
  const TensorInfo& embedding = model.file.tensors[plan.embedding_tensor];
  const std::size_t row_bytes = plan.resident[plan.embedding_tensor] ? 0 : rows_buffer_bytes(embedding, 1);
  ArenaPlan arena;
  for (int i = 0; i < plan.slots; ++i) arena.add<std::byte>(plan.slot_bytes);
  arena.add<std::byte>(row_bytes);
  arena_ = Arena(arena.bytes());
  slots_ = std::vector<Slot>(static_cast<std::size_t>(plan.slots));
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

std::uint64_t StreamedWeights::parts_read() const {
  const std::lock_guard lock(mutex_);
  return parts_read_;
}

std::uint64_t StreamedWeights::parts_read_by_forward_pass() const {
  const std::lock_guard lock(mutex_);
  return parts_read_by_forward_pass_;
}

namespace {

int parts_of(const StreamStep& s, std::uint64_t part_bytes) {
  const std::uint64_t parts = (s.bytes + part_bytes - 1) / std::max<std::uint64_t>(1, part_bytes);
  return static_cast<int>(std::clamp<std::uint64_t>(parts, 1, static_cast<std::uint64_t>(s.rows)));
}

// Part `part` of `parts`: rows [first, first + count) of the piece's `rows`.
std::pair<int, int> part_rows(int rows, int parts, int part) {
  const int per_part = (rows + parts - 1) / parts;
  const int first = std::min(rows, part * per_part);
  return {first, std::min(rows, first + per_part) - first};
}

// Polls before a wait sleeps: about as long as a 256 KiB part takes to copy, which is what the
// other thread is usually doing; a futex sleep and wake cost more than that in a VM.
constexpr int kSpins = 1 << 11;

}  // namespace

// Waits until ready() (which reads only atomics) holds: polling first, then asleep on `changed`.
template <class Ready>
void StreamedWeights::await(std::condition_variable& changed, Ready ready) {
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return;
    cpu_relax();
  }
  std::unique_lock lock(mutex_);
  changed.wait(lock, ready);
}

// Reads one part of a slot's rows.
void StreamedWeights::read_part(const Slot& slot, int part) {
  const StreamStep& s = plan_.steps[slot.step];
  const TensorInfo& t = model_.file.tensors[s.tensor];
  const auto [first, count] = part_rows(s.rows, slot.parts, part);
  read_rows_part(t, s.first_row, s.rows, s.first_row + first, count, source_,
                 model_.file.byte_order, slot.buffer);
}

// Claims and reads the slot's parts until none is left; whoever finishes the last part marks
// the slot full. Called by the prefetch thread, and by the forward pass when it has to wait.
void StreamedWeights::fill(Slot& slot, bool by_forward_pass) {
  while (true) {
    int part = 0;
    {
      const std::lock_guard lock(mutex_);
      if (slot.state != SlotState::filling || slot.claimed == slot.parts) return;
      part = slot.claimed++;
    }
    std::exception_ptr error;
    try {
      read_part(slot, part);
    } catch (...) {
      error = std::current_exception();
    }
    bool last = false;
    {
      const std::lock_guard lock(mutex_);
      if (error && !slot.error) slot.error = error;
      failed_ = failed_ || error != nullptr;
      if (!error) {
        ++parts_read_;
        if (by_forward_pass) ++parts_read_by_forward_pass_;
      }
      last = ++slot.finished == slot.parts;
    }
    if (last) finish(slot);
  }
}

// Every part of the slot is in (or failed): the piece is ready for the forward pass, once the
// file is checked to be still the one that was planned (a truncated or rewritten file is an
// error, not other weights). One check after all the parts covers each of them.
void StreamedWeights::finish(Slot& slot) {
  const StreamStep& s = plan_.steps[slot.step];
  const TensorInfo& t = model_.file.tensors[s.tensor];
  std::exception_ptr changed;
  try {
    source_.check_unchanged();
  } catch (...) {
    changed = std::current_exception();
  }
  if (options_.drop_page_cache) source_.drop_cached(t.offset, t.bytes);
  {
    const std::lock_guard lock(mutex_);
    if (changed && !slot.error) slot.error = changed;
    failed_ = failed_ || changed != nullptr;
    if (!slot.error) {
      slot.matrix = rows_matrix(t, s.rows, slot.buffer);
      bytes_read_ += s.bytes;
    }
    slot.state = SlotState::full;
  }
  filled_.notify_all();
}

// The prefetch thread: starts the slots in turn on the steps in order, round and round, waiting
// for the forward pass to give each slot back, and reads their parts.
void StreamedWeights::prefetch() {
  std::size_t step = 0;
  for (std::size_t n = 0;; ++n) {
    Slot& slot = slots_[n % slots_.size()];
    await(emptied_, [&] { return stopping_ || failed_ || slot.state == SlotState::empty; });
    {
      const std::lock_guard lock(mutex_);
      if (stopping_ || failed_) return;  // after a failure the forward pass rethrows it
      slot.step = step;
      slot.parts = split_reads_ ? parts_of(plan_.steps[step], options_.part_bytes) : 1;
      slot.claimed = 0;
      slot.finished = 0;
      slot.error = nullptr;
      slot.state = SlotState::filling;
    }
    filled_.notify_all();  // a forward pass waiting for this slot may read parts of it too
    fill(slot, false);
    step = (step + 1) % plan_.steps.size();
  }
}

WeightPiece StreamedWeights::next(TensorRole role, int layer) {
  const Matrix resident = tensor_of(model_.weights, role, layer);
  if (has_data(resident)) return {resident, 0, true};
  Slot& slot = slots_[consumed_ % slots_.size()];
  await(filled_, [&] { return slot.state != SlotState::empty; });
  if (split_reads_) fill(slot, true);  // rather than wait while the prefetch thread reads alone
  await(filled_, [&] { return slot.state == SlotState::full; });
  const std::lock_guard lock(mutex_);
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
    slots_[consumed_ % slots_.size()].state = SlotState::empty;
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
