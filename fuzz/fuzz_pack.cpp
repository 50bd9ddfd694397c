// Any bytes as a target pack: either a located Error, or a model whose tensors match their
// checksums, planned within a small budget and run one streamed step.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/streamed_weights.hpp"
#include "shoehorn/model/transformer.hpp"
#include "located_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source("fuzz.pack", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::ModelFile file = shoehorn::read_model_file(source);
    shoehorn::verify_checksums(file, source);
    shoehorn::PlanRequest request;
    request.positions = 1;
    request.process_bytes = 1;
    request.budget = 1;  // refused with the smallest budget, which then runs
    shoehorn::MemoryPlan plan;
    try {
      plan = shoehorn::plan_memory(file, request);
    } catch (const shoehorn::Error&) {
      request.budget = shoehorn::plan_memory(file, {0, 1, 1, 1}).minimum_budget;
      plan = shoehorn::plan_memory(file, request);
    }
    const shoehorn::Model model = shoehorn::load_planned(file, source, plan);
    shoehorn::StreamedWeights stream(model, source, plan);
    shoehorn::Transformer transformer(model, 1, nullptr, 1, &stream);
    (void)transformer.forward(model.config().vocab_size - 1, 0);
  } catch (const shoehorn::Error& e) {
    shoehorn::fuzz::expect_located(e, "fuzz.pack");
  }
  return 0;
}
