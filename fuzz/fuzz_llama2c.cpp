// Any bytes as a llama2.c checkpoint: either a located Error, or a model that runs a step.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/transformer.hpp"
#include "located_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source(
      "fuzz.bin", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::Model model =
        shoehorn::load_resident(shoehorn::read_model_file(source), source);
    // A model that loads must run: one position, every token id in range.
    shoehorn::Transformer transformer(model, 1);
    (void)transformer.forward(model.config().vocab_size - 1, 0);
  } catch (const shoehorn::Error& e) {
    shoehorn::fuzz::expect_located(e, "fuzz.bin");
  }
  return 0;
}
