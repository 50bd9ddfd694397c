// What runs a planned model, the one way every caller wires it: the C interface's contexts and
// the command line's run, bench and eval. A Session is a model's threads, its sampler and a
// Transformer over the plan's weights (resident or streamed), with the plan's positions, batch
// and KV cache, on a kernel path of its own; its activations and cache come from the model's
// memory block when it has one. It cannot move (the Transformer points into itself).
#pragma once

#include <optional>

#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/sample/sampler.hpp"

namespace shoehorn {

struct SessionOptions {
  int threads = 1;                          // of the forward pass; 1: the caller's alone
  std::optional<kernels::KernelPath> path;  // none: the process's (the fastest, by default)
  SamplerSettings sampling;
  Logits logits = Logits::last;  // what batches keep: the last position's, or every one's
  int positions = 0;             // the KV cache's length; 0: the plan's
  MemoryBlock* memory = nullptr;  // where the activations and cache are carved (none: allocated)
};

// Throws Error when the path cannot run here (before anything is made).
class Session {
 public:
  Session(PlannedModel& model, const SessionOptions& options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Transformer& transformer() { return transformer_; }
  Sampler& sampler() { return sampler_; }
  ThreadPool& pool() { return pool_; }
  int threads() const { return pool_.size(); }

 private:
  ThreadPool pool_;
  Sampler sampler_;
  Transformer transformer_;
};

// The row layout a kernel path multiplies fastest (none: the process's path): what a model is
// loaded with for the sessions that will run it (every path computes both, to the same bits).
RowLayout row_layout_for(std::optional<kernels::KernelPath> path);

}  // namespace shoehorn
