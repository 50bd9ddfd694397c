// Weight streaming: the matrices the plan did not keep resident are read from the file while
// the model runs, into buffers of the plan's size; nothing is allocated after construction.
//
// Two ways, by what the source is:
// - A page cache (a file; parallel_reads_help): each matrix is read on demand by the threads
//   that multiply it, each a part of its rows into a buffer of its own and at once multiplied,
//   while the rows are in that core's cache. Copying from the page cache is what bounds a warm
//   stream, several threads copy faster than one, and rows copied by another core reach the
//   multiplying one no faster than memory.
// - One slow drive (emulated media), where there are threads: a prefetch thread reads the next piece of rows (in the
//   forward pass's order, which repeats every pass) while the forward pass computes with the
//   current one, so reading overlaps compute, a piece at a time as a drive reads best.
//   Without threads (a bare machine) every source is read on demand: the forward pass waits
//   for each read, in the order it needs the rows.
//
// Faults never become wrong tokens: a read error, a file that shrank or was written to since it
// was opened, surface as an Error on the forward pass's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "shoehorn/io/threads.hpp"
#if SHOEHORN_THREADS
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

#include "shoehorn/io/source.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

struct StreamOptions {
  // Tell the kernel to drop what was read from its page cache (the budget does not count on
  // it); off to measure with a warm cache.
  bool drop_page_cache = true;
  // Threads that read on demand at once: the plan's stream buffers are shared out among them
  // (fewer where a share would not hold a row). More threads than this wait for a buffer.
  int readers = 2;
  // The most bytes one read on demand takes: its rows stay in the reading core's cache (half
  // of a 1 MiB L2) until they are multiplied. Larger reads were slower, smaller ones too (each
  // read is a system call of its own).
  std::uint64_t read_bytes = 512 << 10;
  // Where the stream buffers are carved from (none: allocated).
  MemoryBlock* memory = nullptr;
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
  ReadRows read_rows(int first, int count) override;
  void release(const ReadRows& rows) override;

  bool on_demand() const { return on_demand_; }
  std::size_t buffer_bytes() const { return arena_.capacity(); }
  // Bytes read from the file so far (matrices and embedding rows), and reads of matrix rows.
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t reads() const { return reads_; }

 private:
  // Prefetching: a slot is full once the prefetch thread has read its piece (or failed to);
  // its fields change under the mutex.
  struct Slot {
    std::span<std::byte> buffer;
    Matrix matrix;
    std::size_t step = 0;
    bool full = false;
    std::exception_ptr error;
  };
  void prefetch();
  void read_slot(Slot& slot);
  // The plan's steps of the matrix the forward pass asks for next; throws if it is another.
  const StreamStep& expect_step(TensorRole role, int layer) const;
  std::span<std::byte> claim_buffer(int& index);

  const Model& model_;
  const ByteSource& source_;
  const MemoryPlan& plan_;
  StreamOptions options_;
  bool on_demand_;
  Arena arena_;
  std::span<std::byte> row_buffer_;
  std::size_t step_ = 0;      // the plan's step the forward pass reaches next
  bool holding_ = false;      // the forward pass holds a streamed piece

  // On demand: one buffer per reader, taken by a read until released.
  std::vector<std::span<std::byte>> read_buffers_;
  std::unique_ptr<std::atomic<bool>[]> buffer_taken_;
  std::size_t reading_ = 0;   // the tensor being read on demand

  // Prefetching.
  std::vector<Slot> slots_;
  std::size_t consumed_ = 0;  // streamed pieces the forward pass is done with
#if SHOEHORN_THREADS
  mutable std::mutex mutex_;
  std::condition_variable filled_, emptied_;
  bool stopping_ = false;
  std::thread thread_;
#endif

  std::atomic<std::uint64_t> bytes_read_ = 0, reads_ = 0;
};

}  // namespace shoehorn
