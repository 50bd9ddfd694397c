// Any bytes as a token shard: either a located Error, or ids that all fit the vocabulary and
// survive a write and a read.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/io/error.hpp"
#include "shoehorn/train/token_shard.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoehorn::MemorySource source("fuzz.tokens", std::as_bytes(std::span(data, size)));
  try {
    const shoehorn::TokenShard shard = shoehorn::read_token_shard(source);
    for (const std::uint32_t id : shard.ids) {
      if (id >= static_cast<std::uint32_t>(shard.vocab_size)) __builtin_trap();
    }
    const std::vector<std::byte> bytes = shoehorn::write_token_shard(shard);
    if (shoehorn::read_token_shard(shoehorn::MemorySource("again", bytes)).ids != shard.ids) {
      __builtin_trap();
    }
  } catch (const shoehorn::Error&) {
  }
  return 0;
}
