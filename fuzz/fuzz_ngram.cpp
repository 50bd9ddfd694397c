// Any bytes as an n-gram model: either a located Error, or a model that generates and scores
// text. The CRC is not checked, so that the fuzzer reaches the structure checks behind it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/ngram/runtime.hpp"
#include "located_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source("fuzz-ngram.bin", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::ngram::Model model = shoehorn::ngram::read_model(source, false);
    // A model that loads must run: every byte value fed, sampled and scored.
    (void)shoehorn::ngram::generate(model, static_cast<std::uint32_t>(size), "the \xff\x00 cat", 64);
    (void)shoehorn::ngram::evaluate(model, "once upon a time\n\x80\xfe");
  } catch (const shoehorn::Error& e) {
    shoehorn::fuzz::expect_located(e, "fuzz-ngram.bin");
  }
  return 0;
}
