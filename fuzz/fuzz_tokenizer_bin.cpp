// Any bytes as a tokenizer.bin: either a located Error, or a vocabulary that encodes and
// decodes text without a fault.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "located_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source("fuzz-tok.bin", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::Tokenizer tokenizer(shoehorn::read_tokenizer_bin(source));
    const std::vector<int> ids =
        tokenizer.encode("Once upon a time, \xc3\xa9\xf0\x9f\x99\x82 \xff<0x41>  x", true, true);
    int prev = ids.front();
    for (const int id : ids) {
      (void)shoehorn::printable(tokenizer.decode(prev, id));
      prev = id;
    }
  } catch (const shoehorn::Error& e) {
    shoehorn::fuzz::expect_located(e, "fuzz-tok.bin");
  }
  return 0;
}
