#include "shoehorn/api/session.hpp"

namespace shoehorn {

namespace {

// The path checked before the threads start.
int checked_threads(const SessionOptions& options) {
  if (options.path) kernels::require_supported(*options.path);
  return options.threads < 1 ? 1 : options.threads;
}

}  // namespace

Session::Session(PlannedModel& model, const SessionOptions& options)
    : pool_(checked_threads(options)),
      sampler_(model.model().config().vocab_size, options.sampling),
      transformer_(model.model(), options.positions > 0 ? options.positions : model.plan().positions,
                   &pool_, model.plan().batch, &model.weights(), options.logits,
                   model.plan().kv_cache, options.memory) {
  if (options.path) transformer_.set_kernel_path(*options.path);
}

RowLayout row_layout_for(std::optional<kernels::KernelPath> path) {
  return kernels::interleaves_rows(path.value_or(kernels::kernel_path())) ? RowLayout::interleaved
                                                                          : RowLayout::file;
}

}  // namespace shoehorn
