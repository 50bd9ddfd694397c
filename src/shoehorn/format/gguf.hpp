// GGUF, the container of llama.cpp (versions 2 and 3; they share one layout).
//
//   "GGUF" magic (always these four bytes), u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x (string key, u32 value type, value), tensor_count x (string name, u32 n_dims,
//   n_dims x u64 dims (the row length first), u32 ggml type, u64 offset), padding to the
//   alignment (general.alignment, default 32), then the data section; each tensor's offset is
//   counted from the start of that section and is a multiple of the alignment.
//   Strings are a u64 length and that many bytes; arrays a u32 element type, a u64 count and
//   the elements.
//
// Byte order: llama.cpp's big-endian GGUF stores every number (header, metadata, tensor
// records and tensor data: F32 and F16 values, block scales) big-endian; only the magic stays
// as it is. The reader tells the two apart by the version field.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/quant/types.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"

namespace shoehorn {

// Metadata value types; the numbers are the file's, and the index of each in the variants
// below.
enum class GgufType : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8,
  array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* to_string(GgufType type);

// An array holds its elements in one typed vector (a u8 array costs one byte per element).
struct GgufArray {
  std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::uint16_t>,
               std::vector<std::int16_t>, std::vector<std::uint32_t>, std::vector<std::int32_t>,
               std::vector<float>, std::vector<bool>, std::vector<std::string>,
               std::vector<GgufArray>, std::vector<std::uint64_t>, std::vector<std::int64_t>,
               std::vector<double>>
      items;

  GgufType element_type() const { return static_cast<GgufType>(items.index()); }
  std::size_t size() const;
  // The elements when they are of type T, else nullptr.
  template <class T>
  const std::vector<T>* as() const { return std::get_if<std::vector<T>>(&items); }

  bool operator==(const GgufArray&) const = default;
};

struct GgufValue {
  std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t,
               std::int32_t, float, bool, std::string, GgufArray, std::uint64_t, std::int64_t,
               double>
      v;

  GgufType type() const { return static_cast<GgufType>(v.index()); }
  // Any integer type holding a value >= 0.
  std::optional<std::uint64_t> as_uint() const;
  // f32 or f64.
  std::optional<double> as_float() const;
  const std::string* as_string() const { return std::get_if<std::string>(&v); }
  const GgufArray* as_array() const { return std::get_if<GgufArray>(&v); }

  bool operator==(const GgufValue&) const = default;
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
  std::uint64_t offset = 0;  // where the value's type field is in the file (for errors)
};

struct GgufTensorInfo {
  std::string name;
  std::vector<std::uint64_t> dims;  // ne[0] (the length of a row) first
  std::uint32_t type = 0;           // a ggml type id
  std::uint64_t offset = 0;         // from the start of the data section
  std::uint64_t info_offset = 0;    // where this tensor's record is in the file (for errors)

  std::uint64_t count() const;
  std::uint64_t bytes() const;  // of its data; the type must be one ggml_type_info knows
};

struct GgufFile {
  std::string path;
  ByteOrder byte_order = ByteOrder::little;
  std::uint32_t version = 3;
  std::vector<GgufKeyValue> metadata;  // in file order
  std::vector<GgufTensorInfo> tensors;  // in file order
  std::uint32_t alignment = 32;
  std::uint64_t data_offset = 0;  // absolute offset of the data section
  std::uint64_t file_size = 0;

  const GgufKeyValue* find(std::string_view key) const;
};

// Metadata to write: make_entry("llama.block_count", std::uint32_t{22}),
// make_entry("tokenizer.ggml.scores", make_array(std::vector<float>{...})).
template <class T>
GgufArray make_array(std::vector<T> items) {
  GgufArray a;
  a.items = std::move(items);
  return a;
}
template <class T>
GgufKeyValue make_entry(std::string key, T value) {
  GgufKeyValue kv;
  kv.key = std::move(key);
  kv.value.v = std::move(value);
  return kv;
}

inline constexpr std::uint32_t kGgufDefaultAlignment = 32;

// True when the source starts with the GGUF magic.
bool is_gguf(const ByteSource& source);

// Reads and validates the header, the metadata and the tensor table: every length and count
// is checked against the bytes left before anything is allocated, and every tensor's data
// against the file size. Tensor data is not read. Throws Error naming file, field and offset.
GgufFile read_gguf(const ByteSource& source);

// Writes a GGUF front to back: the header at construction, then each tensor's data in table
// order. Offsets follow from the sizes and the alignment (general.alignment when the metadata
// has it), each tensor padded to the alignment as llama.cpp does.
class GgufWriter {
 public:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;  // ne[0] first
    std::uint32_t type = 0;
  };

  GgufWriter(ByteSink& sink, ByteOrder order, const std::vector<GgufKeyValue>& metadata,
             std::vector<Tensor> tensors);

  // The next tensor's data, already in the file's byte order; exactly its size.
  void write_tensor(std::span<const std::byte> data);
  // Checks that every tensor was written.
  void finish() const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  ByteOrder byte_order() const { return order_; }

 private:
  void pad();

  ByteSink& sink_;
  ByteOrder order_;
  std::uint32_t alignment_ = kGgufDefaultAlignment;
  std::vector<GgufTensorInfo> tensors_;
  std::size_t next_ = 0;
};

}  // namespace shoehorn
