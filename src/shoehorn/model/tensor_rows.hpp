// Reading rows of a tensor from its file into host-order arrays: the whole tensor when a model
// is loaded, a piece of rows at a time when weights stream.
#pragma once

#include <cstddef>
#include <span>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/weights.hpp"

namespace shoehorn {

// Bytes that `rows` rows of t take in file order (both parts of a llama2.c Q8 tensor).
std::uint64_t row_bytes(const TensorInfo& t, int rows);

// Bytes a buffer needs for `rows` rows of t: the file's bytes, with a llama2.c Q8 tensor's scales
// starting on the next kArenaAlignment boundary.
std::size_t rows_buffer_bytes(const TensorInfo& t, int rows);

// The most rows of t whose buffer fits in `bytes` (at least one).
int rows_fitting(const TensorInfo& t, std::uint64_t bytes);

// Reads rows [first, first + count) of t (stored in `order`) into buffer (aligned to
// kArenaAlignment, at least rows_buffer_bytes(t, count) long) and returns them as a Matrix of
// count rows whose arrays live in buffer. A norm is one F32 row.
Matrix read_rows(const TensorInfo& t, int first, int count, const ByteSource& source,
                 ByteOrder order, std::span<std::byte> buffer);

// Whether interleave takes m: Q8_0 or Q4_0 with a whole number of eight-row groups.
bool interleavable(const Matrix& m);

// Rewrites an interleavable matrix's blocks, which read_rows put at the start of buffer, in
// place as groups of eight interleaved rows (the same bytes rearranged), and returns it as
// q8_0x8 or q4_0x8.
Matrix interleave(const Matrix& m, std::span<std::byte> buffer);

}  // namespace shoehorn
