#include "shoehorn/model/tensor_rows.hpp"

#include <algorithm>
#include <bit>
#include <new>
#include <vector>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/size.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

// Begins the lifetime of count T at `at` without writing them (the read fills them in).
template <class T>
std::span<T> start_array(std::byte* at, std::size_t count) {
  T* first = reinterpret_cast<T*>(at);
  for (std::size_t i = 0; i < count; ++i) ::new (static_cast<void*>(first + i)) T;
  return {first, count};
}

// Reads count floats at offset into buffer, in host order.
std::span<float> read_floats(const ByteSource& source, std::uint64_t offset, std::size_t count,
                             ByteOrder order, std::byte* at) {
  const std::span<float> values = start_array<float>(at, count);
  source.read(offset, std::as_writable_bytes(values));
  swap_to(order, WeightType::f32, std::as_writable_bytes(values));
  return values;
}

std::uint64_t q8_group_scale_bytes(const TensorInfo& t, int rows) {
  return static_cast<std::uint64_t>(rows) * t.cols / t.group_size * 4;
}

}  // namespace

std::uint64_t row_bytes(const TensorInfo& t, int rows) {
  return stored_bytes(t.type, static_cast<std::uint64_t>(rows) * t.cols, t.group_size);
}

std::size_t rows_buffer_bytes(const TensorInfo& t, int rows) {
  if (t.type != WeightType::q8_group) return to_size(row_bytes(t, rows), t.name);
  const std::uint64_t values = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(t.cols);
  const std::uint64_t q = (values + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  return to_size(q + q8_group_scale_bytes(t, rows), t.name);
}

int rows_fitting(const TensorInfo& t, std::uint64_t bytes) {
  int rows = static_cast<int>(std::clamp<std::uint64_t>(bytes / std::max<std::uint64_t>(row_bytes(t, 1), 1),
                                                        1, static_cast<std::uint64_t>(t.rows)));
  while (rows > 1 && rows_buffer_bytes(t, rows) > bytes) --rows;
  return rows;
}

Matrix read_rows(const TensorInfo& t, int first, int count, const ByteSource& source,
                 ByteOrder order, std::span<std::byte> buffer) {
  if (first < 0 || count < 0 || first + count > t.rows ||
      buffer.size() < rows_buffer_bytes(t, count)) {
    throw Error("internal error: rows " + std::to_string(first) + "+" + std::to_string(count) +
                " of " + t.name + " do not fit its " + std::to_string(t.rows) +
                " rows or the buffer");
  }
  Matrix m;
  m.type = t.type;
  m.rows = count;
  m.cols = t.cols;
  m.group_size = t.group_size;
  const std::size_t values = static_cast<std::size_t>(count) * t.cols;
  std::byte* at = buffer.data();
  if (t.type == WeightType::q8_group) {
    // llama2.c's int8 values, then every scale of the tensor after them.
    const std::uint64_t first_value = static_cast<std::uint64_t>(first) * t.cols;
    const std::span<std::int8_t> q = start_array<std::int8_t>(at, values);
    source.read(t.offset + first_value, std::as_writable_bytes(q));
    m.data = q.data();
    const std::uint64_t scales_at = t.offset + t.count() + q8_group_scale_bytes(t, first);
    m.scales = read_floats(source, scales_at, values / t.group_size, order,
                           at + align_up(values, kArenaAlignment)).data();
    return m;
  }
  if (!is_file_type(t.type)) {
    throw Error(std::string("internal error: ") + to_string(t.type) + " rows in a tensor table");
  }
  // The blocks' lifetimes start, their bytes come from the file, their fields go to host order.
  const TypeTraits& type = traits(t.type);
  const std::size_t blocks = values / static_cast<std::size_t>(type.block_values);
  m.data = type.start_blocks(at, blocks);
  const std::span<std::byte> bytes(at, blocks * static_cast<std::size_t>(type.block_bytes));
  source.read(t.offset + row_bytes(t, first), bytes);
  swap_to(order, t.type, bytes);
  return m;
}

bool interleavable(const Matrix& m) {
  const bool blocks = m.type == WeightType::q8_0 || m.type == WeightType::q4_0;
  return blocks && has_data(m) && m.rows % kInterleavedRows == 0;
}

namespace {

// The groups of eight rows of `plain` (blocks per row), each rewritten in place over its own
// bytes; the first group's interleaved blocks.
template <class Block, class Interleaved>
const Interleaved* interleave_groups(const Block* plain, int rows, int blocks,
                                     std::span<std::byte> buffer) {
  const std::size_t group_blocks = static_cast<std::size_t>(blocks) * kInterleavedRows;
  std::vector<Block> group(group_blocks);
  const Interleaved* first = nullptr;
  for (int g = 0; g < rows / kInterleavedRows; ++g) {
    const std::span<const Block> from(plain + g * group_blocks, group_blocks);
    std::copy(from.begin(), from.end(), group.begin());
    // The interleaved blocks take the group's bytes, ending the plain blocks' lifetime there.
    std::byte* at = buffer.data() + g * group_blocks * sizeof(Block);
    const std::span<Interleaved> interleaved = start_array<Interleaved>(at, static_cast<std::size_t>(blocks));
    interleave_rows(group, blocks, interleaved);
    if (g == 0) first = interleaved.data();
  }
  return first;
}

}  // namespace

Matrix interleave(const Matrix& m, std::span<std::byte> buffer) {
  const int blocks = m.cols / kBlockValues;
  Matrix out = m;
  if (m.type == WeightType::q8_0) {
    out.type = WeightType::q8_0x8;
    out.data = interleave_groups<BlockQ8_0, BlockQ8_0x8>(m.blocks<BlockQ8_0>(), m.rows, blocks, buffer);
  } else {
    out.type = WeightType::q4_0x8;
    out.data = interleave_groups<BlockQ4_0, BlockQ4_0x8>(m.blocks<BlockQ4_0>(), m.rows, blocks, buffer);
  }
  return out;
}

}  // namespace shoehorn
