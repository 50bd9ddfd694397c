// Any bytes as a training checkpoint: either a located Error, or a checkpoint that writes back
// to exactly the same bytes (the format has no slack).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/io/error.hpp"
#include "shoehorn/train/checkpoint.hpp"
#include "shoehorn/train/loss_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = std::as_bytes(std::span(data, size));
  try {
    const shoehorn::TrainCheckpoint checkpoint =
        shoehorn::read_checkpoint(shoehorn::MemorySource("fuzz.ckpt", input));
    const std::vector<std::byte> bytes = shoehorn::write_checkpoint(checkpoint);
    if (!std::equal(bytes.begin(), bytes.end(), input.begin(), input.end())) __builtin_trap();
    (void)shoehorn::loss_log_from(checkpoint, "fuzz.ckpt");
  } catch (const shoehorn::Error&) {
  }
  return 0;
}
