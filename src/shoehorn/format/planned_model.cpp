#include "shoehorn/format/planned_model.hpp"

#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"

namespace shoehorn {

namespace {

ModelFile verified(ModelFile file, const ByteSource& source) {
  verify_checksums(file, source);
  return file;
}

}  // namespace

MemoryPlan plan_for(const ModelFile& file, PlanRequest request) {
  if (request.process_bytes == 0) request.process_bytes = host_process_bytes(file);
  // 0 (or more than the model holds): the model's whole context, as llama2.c's -n 0.
  if (request.positions <= 0 || request.positions > file.config.seq_len) {
    request.positions = file.config.seq_len;
  }
  return plan_memory(file, request);
}

PlannedModel::PlannedModel(const std::string& path, PlannedModelOptions options)
    : PlannedModel(std::make_unique<FileSource>(path), options) {}

PlannedModel::PlannedModel(std::unique_ptr<ByteSource> source, PlannedModelOptions options)
    : source_(std::move(source)),
      media_(options.media),
      plan_(plan_for(read_model_file(*source_), options.request)),
      model_(load_planned(verified(read_model_file(*source_), *source_), *source_, plan_,
                          options.layout, options.memory)),
      resident_(model_.weights) {
  const ByteSource* stream_source = source_.get();
  if (media_.read_bytes_per_s > 0) {
    stream_source = &throttled_.emplace(*source_, media_.read_bytes_per_s, media_.seek_seconds);
  }
  options.stream.memory = options.memory;
  if (plan_.streams()) {
    stream_ = std::make_unique<StreamedWeights>(model_, *stream_source, plan_, options.stream);
  }
}

}  // namespace shoehorn
