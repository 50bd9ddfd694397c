// Weight streaming: the matrices the plan did not keep resident are read from the file, a piece
// of rows at a time, into two buffers of the plan's size. A prefetch thread reads the next piece
// (in the forward pass's order, which repeats every pass) while the forward pass computes with
// the current one, so reading overlaps compute; nothing is allocated after construction.
// Each piece is read in parts: a forward pass that reaches a piece still being read reads the
// parts left beside the prefetch thread rather than wait (copying from the page cache is what
// bounds a warm stream, and two threads copy nearly twice as fast as one).
//
// Faults never become wrong tokens: a read error, a file that shrank or was written to since it
// was opened, surface as an Error from next() on the forward pass's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "shoehorn/io/source.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

struct StreamOptions {
  // Tell the kernel to drop what was read from its page cache (the budget does not count on
  // it); off to measure with a warm cache.
  bool drop_page_cache = true;
  // Bytes per part of a piece: a few parts a piece, so that two threads can share one, each a
  // long read (a read call costs microseconds of its own).
  std::uint64_t part_bytes = 256 << 10;
};

class StreamedWeights final : public WeightSource {
 public:
  // model holds the resident tensors (load_planned); source is the model's file. Both, and
  // plan, must outlive this.
  StreamedWeights(const Model& model, const ByteSource& source, const MemoryPlan& plan,
                  StreamOptions options = {});
  ~StreamedWeights() override;
  StreamedWeights(const StreamedWeights&) = delete;
  StreamedWeights& operator=(const StreamedWeights&) = delete;

  WeightPiece next(TensorRole role, int layer) override;
  void done() override;
  EmbeddingRow embedding(int token) override;

  std::size_t buffer_bytes() const { return arena_.capacity(); }
  // Bytes read from the file so far (pieces and embedding rows).
  std::uint64_t bytes_read() const;
  // Parts of pieces read so far, and how many of them the forward pass read itself (it reached
  // their piece before the prefetch thread had read it all).
  std::uint64_t parts_read() const;
  std::uint64_t parts_read_by_forward_pass() const;

 private:
  // A slot is empty, then filling (its step's parts being claimed and read, by the prefetch
  // thread and perhaps the forward pass), then full once every part is in.
  enum class SlotState { empty, filling, full };
  struct Slot {
    std::span<std::byte> buffer;
    Matrix matrix;
    std::size_t step = 0;
    // Written under the mutex (so condition waits miss no change), read by polls without it.
    std::atomic<SlotState> state = SlotState::empty;
    int parts = 0;
    int claimed = 0;   // parts a thread has taken
    int finished = 0;  // parts read (or failed)
    std::exception_ptr error;
  };
  void prefetch();
  template <class Ready>
  void await(std::condition_variable& changed, Ready ready);
  void fill(Slot& slot, bool by_forward_pass);
  void finish(Slot& slot);
  void read_part(const Slot& slot, int part);

  const Model& model_;
  const ByteSource& source_;
  const MemoryPlan& plan_;
  StreamOptions options_;
  bool split_reads_;  // pieces are read in parts, by both threads
  Arena arena_;
  std::span<std::byte> row_buffer_;
  std::vector<Slot> slots_;
  std::size_t consumed_ = 0;  // streamed pieces the forward pass is done with
  bool holding_ = false;      // the forward pass holds the current slot

  mutable std::mutex mutex_;
  std::condition_variable filled_, emptied_;
  std::atomic<bool> stopping_ = false;
  std::atomic<bool> failed_ = false;  // a part failed: the prefetch thread reads nothing more
  std::uint64_t bytes_read_ = 0;
  std::uint64_t parts_read_ = 0, parts_read_by_forward_pass_ = 0;
  std::thread thread_;
};

}  // namespace shoehorn
