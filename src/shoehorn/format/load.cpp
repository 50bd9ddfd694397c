#include "shoehorn/format/load.hpp"

#include <bit>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn {

namespace {

void swap_floats_in_place(std::span<float> values, ByteOrder file_order) {
  if (file_order == native_byte_order()) return;
  for (float& v : values) v = std::bit_cast<float>(byteswap32(std::bit_cast<std::uint32_t>(v)));
}

void read_floats(const ByteSource& source, std::uint64_t offset, std::span<float> dst,
                 ByteOrder order) {
  source.read(offset, std::as_writable_bytes(dst));
  swap_floats_in_place(dst, order);
}

// Reads a tensor's bytes straight into its host-order array: the file layout of these types
// is the array's layout, except for the byte order of their 16-bit fields.
template <class T>
std::span<T> read_array(const TensorInfo& t, std::size_t count, const ByteSource& source,
                        ByteOrder order, Arena& arena) {
  const std::span<T> values = arena.allocate<T>(count);
  source.read(t.offset, std::as_writable_bytes(values));
  swap_to(order, values);
  return values;
}

Matrix load_matrix(const TensorInfo& t, const ByteSource& source, ByteOrder order, Arena& arena) {
  Matrix m;
  m.type = t.type;
  m.rows = t.rows;
  m.cols = t.cols;
  m.group_size = t.group_size;
  const std::size_t count = static_cast<std::size_t>(t.count());
  switch (t.type) {
    case WeightType::f32: {
      const std::span<float> values = arena.allocate<float>(count);
      read_floats(source, t.offset, values, order);
      m.f32 = values.data();
      break;
    }
    case WeightType::q8_group: {
      const std::span<std::int8_t> q = arena.allocate<std::int8_t>(count);
      source.read(t.offset, std::as_writable_bytes(q));
      const std::span<float> scales = arena.allocate<float>(count / t.group_size);
      read_floats(source, t.offset + count, scales, order);
      m.q = q.data();
      m.scales = scales.data();
      break;
    }
    case WeightType::f16:
      m.f16 = read_array<std::uint16_t>(t, count, source, order, arena).data();
      break;
    case WeightType::q8_0:
      m.q8_0 = read_array<BlockQ8_0>(t, count / kBlockValues, source, order, arena).data();
      break;
    case WeightType::q4_0:
      m.q4_0 = read_array<BlockQ4_0>(t, count / kBlockValues, source, order, arena).data();
      break;
  }
  return m;
}

void plan_tensor(const TensorInfo& t, ArenaPlan& plan) {
  switch (t.type) {
    case WeightType::f32: plan.add<float>(t.count()); break;
    case WeightType::q8_group:
      plan.add<std::int8_t>(t.count());
      plan.add<float>(t.count() / t.group_size);
      break;
    case WeightType::f16: plan.add<std::uint16_t>(t.count()); break;
    case WeightType::q8_0: plan.add<BlockQ8_0>(t.count() / kBlockValues); break;
    case WeightType::q4_0: plan.add<BlockQ4_0>(t.count() / kBlockValues); break;
  }
}

}  // namespace

ModelFile read_model_file(const ByteSource& source) {
  if (is_gguf(source)) return llama_model_file(read_gguf(source));
  if (is_llama2c(source)) return read_llama2c(source);
  // Not recognised: report why it is not a llama2.c checkpoint, the most common format.
  return read_llama2c(source);
}

Model load_resident(ModelFile file, const ByteSource& source) {
  ArenaPlan plan;
  for (const TensorInfo& t : file.tensors) plan_tensor(t, plan);

  Model model;
  model.storage = Arena(plan.bytes());
  model.weights.layers.resize(static_cast<std::size_t>(file.config.n_layers));
  for (const TensorInfo& t : file.tensors) {
    const Matrix m = load_matrix(t, source, file.byte_order, model.storage);
    place_tensor(model.weights, t.role, t.layer, m);
  }
  if (file.shared_classifier) model.weights.classifier = model.weights.token_embedding;
  model.file = std::move(file);
  return model;
}

Model load_model(const std::string& path) {
  const FileSource source(path);
  return load_resident(read_model_file(source), source);
}

Model reloaded_as(const Model& model, const Llama2cWriteOptions& options) {
  const std::vector<std::byte> bytes = write_llama2c(model, options);
  const MemorySource source(model.file.path, bytes);
  return load_resident(read_model_file(source), source);
}

}  // namespace shoehorn
