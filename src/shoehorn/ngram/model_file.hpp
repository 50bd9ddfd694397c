// The n-gram model file: a little-endian header, the level table, the ROM image, a CRC-32.
//
//   0    "SHNG"                 magic
//   4    u16 version (1)
//   6    u8  order (1..8)
//   7    u8  start length (0..16)
//   8    u32 ROM budget (0 = not pruned)
//   12   u32 image bytes
//   16   u8[16] start bytes (zero padded)
//   32   u16[256] qvalue: code -> probability * 65536
//   544  per level: u32 offset, u32 count, u32 wrap count, u32[wrap count] wraps
//   ...  the image
//   end  u32 CRC-32 (IEEE) of every byte before it
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/model.hpp"

namespace shoehorn::ngram {

std::vector<std::byte> write_model(const Model& model);

// Reads and validates a model: every field, the CRC, the trie's structure (sorted children,
// ranges inside the next level), every context's mass, and that every context's children are
// also children of its suffix (what the runtime's exclusions rely on). Throws Error naming the
// file, the field and the offset. `check_crc` is off only for fuzzing the structure checks.
Model read_model(const ByteSource& source, bool check_crc = true);

// Whether the source starts with the model file's magic, "SHNG".
bool is_model_file(const ByteSource& source);

std::uint32_t crc32(std::span<const std::byte> bytes);

}  // namespace shoehorn::ngram
