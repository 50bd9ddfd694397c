// Any bytes as a GGUF: either a located Error, or a container whose vocabulary encodes and
// decodes text and whose llama model runs a step.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "located_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source("fuzz.gguf", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::GgufFile file = shoehorn::read_gguf(source);
    if (auto vocab = shoehorn::gguf_vocab(file)) {
      const shoehorn::Tokenizer tokenizer(std::move(*vocab));
      const std::vector<int> ids = tokenizer.encode("Once upon a time, \xc3\xa9 x", true, true);
      for (std::size_t i = 1; i < ids.size(); ++i) (void)tokenizer.decode(ids[i - 1], ids[i]);
    }
    const shoehorn::Model model = shoehorn::load_resident(shoehorn::llama_model_file(file), source);
    shoehorn::Transformer transformer(model, 1);
    (void)transformer.forward(model.config().vocab_size - 1, 0);
  } catch (const shoehorn::Error& e) {
    shoehorn::fuzz::expect_located(e, "fuzz.gguf");
  }
  return 0;
}
