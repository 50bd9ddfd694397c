// A model opened for running within a memory budget: the plan decides what load_planned keeps
// resident and what a StreamedWeights reads, from the file or through emulated slow media.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "shoehorn/format/load.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/io/throttled_source.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/streamed_weights.hpp"

namespace shoehorn {

struct MediaSpeed {
  double read_bytes_per_s = 0;  // 0: the file as fast as it reads
  double seek_seconds = 0;
};

struct PlannedModelOptions {
  PlanRequest request;  // process_bytes 0: this host's estimate for the model
  MediaSpeed media;
  StreamOptions stream;
  RowLayout layout = RowLayout::file;  // of the resident Q8_0 matrices
  // Where the resident weights and the stream buffers are carved from (none: allocated).
  MemoryBlock* memory = nullptr;
};

// The plan PlannedModel makes: process_bytes 0 is this host's estimate, positions 0 (or more
// than the model holds) its whole context.
MemoryPlan plan_for(const ModelFile& file, PlanRequest request);

class PlannedModel {
 public:
  // Reads the header, plans (refusing a budget that cannot work, before any weight is read),
  // loads the resident tensors and starts streaming the rest.
  PlannedModel(const std::string& path, PlannedModelOptions options);
  // The same over any source of the model's bytes (a caller's reader, memory).
  PlannedModel(std::unique_ptr<ByteSource> source, PlannedModelOptions options);

  const Model& model() const { return model_; }
  const MemoryPlan& plan() const { return plan_; }
  // What a Transformer fetches its matrices from.
  WeightSource& weights() { return stream_ ? static_cast<WeightSource&>(*stream_) : resident_; }
  // The stream (only when plan().streams()).
  StreamedWeights& stream() { return *stream_; }
  std::uint64_t bytes_read() const { return stream_ ? stream_->bytes_read() : 0; }
  std::uint64_t reads() const { return stream_ ? stream_->reads() : 0; }
  const MediaSpeed& media() const { return media_; }
  const ByteSource& source() const { return *source_; }

 private:
  std::unique_ptr<ByteSource> source_;
  std::optional<ThrottledSource> throttled_;
  MediaSpeed media_;
  MemoryPlan plan_;
  Model model_;
  ResidentWeights resident_;
  std::unique_ptr<StreamedWeights> stream_;
};

}  // namespace shoehorn
