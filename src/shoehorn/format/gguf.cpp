#include "shoehorn/format/gguf.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <set>
#include <type_traits>

#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

namespace {

constexpr std::array<std::byte, 4> kMagic = {std::byte{'G'}, std::byte{'G'}, std::byte{'U'},
                                             std::byte{'F'}};
constexpr std::uint64_t kMaxStringBytes = 16ull << 20;  // a chat template is a few KiB
constexpr std::uint64_t kMaxKeyBytes = 65535;          // the spec's limit
constexpr int kMaxArrayDepth = 8;
constexpr std::uint32_t kMaxDims = 4;                  // GGML_MAX_DIMS
constexpr std::uint64_t kMaxTensorValues = 1ull << 56;  // far from overflow in bytes()

// ggml's types as of 2025 (ggml.h); removed ids have no entry.
// The fewest bytes one element of a type takes in the file: bounds array counts.
std::uint64_t min_element_bytes(GgufType type) {
  switch (type) {
    case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
    case GgufType::u16: case GgufType::i16: return 2;
    case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
    case GgufType::u64: case GgufType::i64: case GgufType::f64: case GgufType::string: return 8;
    case GgufType::array: return 12;  // element type and count
  }
  return 1;
}

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::uint64_t align_to(std::uint64_t n, std::uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

class Reader {
 public:
  Reader(const ByteSource& source, GgufFile& file) : in_(source, ByteOrder::little), file_(file) {}

  void header() {
    const auto magic = in_.take(4, "header magic");
    if (!std::equal(magic.begin(), magic.end(), kMagic.begin())) {
      fail_at(file_.path, "header magic", 0, "not a GGUF file (no 'GGUF' magic)");
    }
    // The version is small: read little-endian, a big-endian file shows it in the high half.
    const std::uint32_t raw = in_.u32("header version");
    if ((raw & 0xFFFFu) == 0 && (raw >> 16) != 0) {
      file_.byte_order = ByteOrder::big;
      in_.set_order(ByteOrder::big);
    }
    file_.version = file_.byte_order == ByteOrder::big ? byteswap32(raw) : raw;
    if (file_.version != 2 && file_.version != 3) {
      fail_at(file_.path, "header version", 4,
              "unsupported GGUF version " + std::to_string(file_.version) + " (known: 2, 3)");
    }
  }

  void metadata_and_tensors() {
    const std::uint64_t tensor_count = count("header tensor_count", 32);
    const std::uint64_t kv_count = count("header metadata_kv_count", 13);
    file_.metadata.reserve(to_size(kv_count, "kv_count"));
    for (std::uint64_t i = 0; i < kv_count; ++i) key_value(i);
    alignment();
    std::set<std::string> names;
    file_.tensors.reserve(to_size(tensor_count, "tensor_count"));
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
      tensor_info(i);
      if (!names.insert(file_.tensors.back().name).second) {
        fail_at(file_.path, "tensor '" + file_.tensors.back().name + "'",
                file_.tensors.back().info_offset, "a second tensor with this name");
      }
    }
    file_.data_offset = align_to(in_.offset(), file_.alignment);
    for (const GgufTensorInfo& t : file_.tensors) check_data(t);
  }

 private:
  // A count of records that take at least min_bytes each: it cannot exceed the bytes left.
  std::uint64_t count(std::string_view field, std::uint64_t min_bytes) {
    const std::uint64_t at = in_.offset();
    const std::uint64_t n = in_.u64(field);
    if (n > in_.remaining() / min_bytes) {
      fail_at(file_.path, field, at,
              "count " + std::to_string(n) + " cannot fit in the " +
                  std::to_string(in_.remaining()) + " bytes left");
    }
    return n;
  }

  std::string string(const std::string& field, std::uint64_t max_bytes) {
    const std::uint64_t at = in_.offset();
    const std::uint64_t length = in_.u64(field + " length");
    if (length > max_bytes) {
      fail_at(file_.path, field + " length", at,
              "string of " + std::to_string(length) + " bytes is longer than the " +
                  std::to_string(max_bytes) + " allowed");
    }
    const auto bytes = in_.take(length, field);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }

  GgufType type(const std::string& field) {
    const std::uint64_t at = in_.offset();
    const std::uint32_t t = in_.u32(field);
    if (t > static_cast<std::uint32_t>(GgufType::f64)) {
      fail_at(file_.path, field, at, "unknown value type " + std::to_string(t));
    }
    return static_cast<GgufType>(t);
  }

  template <class T>
  T scalar(const std::string& field) {
    if constexpr (std::is_same_v<T, bool>) {
      const std::uint64_t at = in_.offset();
      const std::uint8_t b = in_.u8(field);
      if (b > 1) fail_at(file_.path, field, at, "bool " + std::to_string(b) + " is not 0 or 1");
      return b == 1;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return string(field, kMaxStringBytes);
    } else if constexpr (std::is_same_v<T, float>) {
      return in_.f32(field);
    } else if constexpr (std::is_same_v<T, double>) {
      return in_.f64(field);
    } else if constexpr (sizeof(T) == 1) {
      return static_cast<T>(in_.u8(field));
    } else if constexpr (sizeof(T) == 2) {
      return static_cast<T>(in_.u16(field));
    } else if constexpr (sizeof(T) == 4) {
      return static_cast<T>(in_.u32(field));
    } else {
      return static_cast<T>(in_.u64(field));
    }
  }

  template <class T>
  std::vector<T> elements(std::uint64_t n, const std::string& field, int depth) {
    std::vector<T> out;
    out.reserve(to_size(n, "array length"));
    for (std::uint64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, GgufArray>) {
        out.push_back(array(field, depth + 1));
      } else {
        out.push_back(scalar<T>(field));
      }
    }
    return out;
  }

  GgufArray array(const std::string& field, int depth) {
    const std::uint64_t at = in_.offset();
    if (depth > kMaxArrayDepth) {
      fail_at(file_.path, field, at,
              "arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    }
    const GgufType element = type(field + " element type");
    const std::uint64_t n = count(field + " count", min_element_bytes(element));
    GgufArray a;
    switch (element) {
      case GgufType::u8: a.items = elements<std::uint8_t>(n, field, depth); break;
      case GgufType::i8: a.items = elements<std::int8_t>(n, field, depth); break;
      case GgufType::u16: a.items = elements<std::uint16_t>(n, field, depth); break;
      case GgufType::i16: a.items = elements<std::int16_t>(n, field, depth); break;
      case GgufType::u32: a.items = elements<std::uint32_t>(n, field, depth); break;
      case GgufType::i32: a.items = elements<std::int32_t>(n, field, depth); break;
      case GgufType::f32: a.items = elements<float>(n, field, depth); break;
      case GgufType::boolean: a.items = elements<bool>(n, field, depth); break;
      case GgufType::string: a.items = elements<std::string>(n, field, depth); break;
      case GgufType::array: a.items = elements<GgufArray>(n, field, depth); break;
      case GgufType::u64: a.items = elements<std::uint64_t>(n, field, depth); break;
      case GgufType::i64: a.items = elements<std::int64_t>(n, field, depth); break;
      case GgufType::f64: a.items = elements<double>(n, field, depth); break;
    }
    return a;
  }

  GgufValue value(GgufType t, const std::string& field) {
    GgufValue v;
    switch (t) {
      case GgufType::u8: v.v = scalar<std::uint8_t>(field); break;
      case GgufType::i8: v.v = scalar<std::int8_t>(field); break;
      case GgufType::u16: v.v = scalar<std::uint16_t>(field); break;
      case GgufType::i16: v.v = scalar<std::int16_t>(field); break;
      case GgufType::u32: v.v = scalar<std::uint32_t>(field); break;
      case GgufType::i32: v.v = scalar<std::int32_t>(field); break;
      case GgufType::f32: v.v = scalar<float>(field); break;
      case GgufType::boolean: v.v = scalar<bool>(field); break;
      case GgufType::string: v.v = scalar<std::string>(field); break;
      case GgufType::array: v.v = array(field, 1); break;
      case GgufType::u64: v.v = scalar<std::uint64_t>(field); break;
      case GgufType::i64: v.v = scalar<std::int64_t>(field); break;
      case GgufType::f64: v.v = scalar<double>(field); break;
    }
    return v;
  }

  void key_value(std::uint64_t index) {
    const std::uint64_t key_at = in_.offset();
    GgufKeyValue kv;
    kv.key = string("metadata[" + std::to_string(index) + "].key", kMaxKeyBytes);
    if (!keys_.insert(kv.key).second) {
      fail_at(file_.path, "metadata key '" + kv.key + "'", key_at, "a second value for this key");
    }
    const std::string field = "metadata '" + kv.key + "'";
    kv.offset = in_.offset();
    kv.value = value(type(field + " type"), field);
    file_.metadata.push_back(std::move(kv));
  }

  void alignment() {
    const GgufKeyValue* kv = file_.find("general.alignment");
    if (kv == nullptr) return;
    const auto* a = std::get_if<std::uint32_t>(&kv->value.v);
    if (a == nullptr || !is_power_of_two(*a)) {
      fail_at(file_.path, "metadata 'general.alignment'", kv->offset,
              "must be a u32 power of two");
    }
    file_.alignment = *a;
  }

  void tensor_info(std::uint64_t index) {
    GgufTensorInfo t;
    t.info_offset = in_.offset();
    t.name = string("tensor[" + std::to_string(index) + "].name", kMaxKeyBytes);
    const std::string field = "tensor '" + t.name + "'";
    const std::uint64_t dims_at = in_.offset();
    const std::uint32_t n_dims = in_.u32(field + " n_dims");
    if (n_dims < 1 || n_dims > kMaxDims) {
      fail_at(file_.path, field + " n_dims", dims_at,
              "value " + std::to_string(n_dims) + " is outside 1.." + std::to_string(kMaxDims));
    }
    std::uint64_t values = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const std::uint64_t at = in_.offset();
      const std::uint64_t n = in_.u64(field + " dims");
      if (n == 0 || n > kMaxTensorValues || values > kMaxTensorValues / n) {
        fail_at(file_.path, field + " dims", at,
                "dimension " + std::to_string(n) + " makes the tensor empty or too large");
      }
      values *= n;
      t.dims.push_back(n);
    }
    const std::uint64_t type_at = in_.offset();
    t.type = in_.u32(field + " type");
    const GgmlTypeInfo* info = ggml_type_info(t.type);
    if (info == nullptr) {
      fail_at(file_.path, field + " type", type_at, "unknown ggml type " + std::to_string(t.type));
    }
    if (t.dims[0] % static_cast<std::uint64_t>(info->block_values) != 0) {
      fail_at(file_.path, field + " dims", dims_at + 4,
              "row of " + std::to_string(t.dims[0]) + " values is not a whole number of " +
                  info->name + " blocks (" + std::to_string(info->block_values) + ")");
    }
    const std::uint64_t offset_at = in_.offset();
    t.offset = in_.u64(field + " offset");
    if (t.offset % file_.alignment != 0) {
      fail_at(file_.path, field + " offset", offset_at,
              "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                  std::to_string(file_.alignment));
    }
    file_.tensors.push_back(std::move(t));
  }

  void check_data(const GgufTensorInfo& t) const {
    const std::uint64_t size = file_.file_size;
    const std::uint64_t bytes = t.bytes();
    if (file_.data_offset > size || t.offset > size - file_.data_offset ||
        bytes > size - file_.data_offset - t.offset) {
      fail_at(file_.path, "tensor '" + t.name + "' offset", t.info_offset,
              "data of " + std::to_string(bytes) + " bytes at " +
                  std::to_string(file_.data_offset) + " + " + std::to_string(t.offset) +
                  " extends past the end of the file (" + std::to_string(size) + " bytes)");
    }
  }

  SourceCursor in_;
  GgufFile& file_;
  std::set<std::string> keys_;
};

// Serializes metadata values in a byte order.
class ValueWriter {
 public:
  explicit ValueWriter(ByteOrder order) : order_(order) {}

  std::vector<std::byte>& bytes() { return out_; }

  void u32(std::uint32_t v) { store(v, 4); }
  void u64(std::uint64_t v) { store(v, 8); }
  void raw(std::string_view s) {
    for (const char c : s) out_.push_back(static_cast<std::byte>(c));
  }
  void string(std::string_view s) {
    u64(s.size());
    raw(s);
  }
  void value(const GgufValue& v) {
    u32(static_cast<std::uint32_t>(v.type()));
    std::visit([this](const auto& x) { payload(x); }, v.v);
  }

 private:
  void store(std::uint64_t v, int bytes) {
    const std::size_t at = out_.size();
    out_.resize(size_sum(at, to_size(bytes, "GGUF in memory"), "GGUF in memory"));
    switch (bytes) {
      case 1: out_[at] = static_cast<std::byte>(v); break;
      case 2: store_u16(out_.data() + at, static_cast<std::uint16_t>(v), order_); break;
      case 4: store_u32(out_.data() + at, static_cast<std::uint32_t>(v), order_); break;
      default: store_u64(out_.data() + at, v, order_); break;
    }
  }
  template <class T>
  void payload(const T& x) {
    if constexpr (std::is_same_v<T, std::string>) {
      string(x);
    } else if constexpr (std::is_same_v<T, GgufArray>) {
      u32(static_cast<std::uint32_t>(x.element_type()));
      u64(x.size());
      std::visit(
          [this](const auto& items) {
            using Item = typename std::decay_t<decltype(items)>::value_type;
            for (const auto& item : items) payload<Item>(item);
          },
          x.items);
    } else if constexpr (std::is_same_v<T, float>) {
      store(std::bit_cast<std::uint32_t>(x), 4);
    } else if constexpr (std::is_same_v<T, double>) {
      store(std::bit_cast<std::uint64_t>(x), 8);
    } else if constexpr (std::is_same_v<T, bool>) {
      store(x ? 1 : 0, 1);
    } else {
      store(static_cast<std::uint64_t>(x), sizeof(T));
    }
  }

  ByteOrder order_;
  std::vector<std::byte> out_;
};

}  // namespace

const char* to_string(GgufType type) {
  static constexpr std::array<const char*, 13> kNames = {
      "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<std::size_t>(type);
  return i < kNames.size() ? kNames[i] : "?";
}

std::size_t GgufArray::size() const {
  return std::visit([](const auto& v) { return v.size(); }, items);
}

std::optional<std::uint64_t> GgufValue::as_uint() const {
  return std::visit(
      [](const auto& x) -> std::optional<std::uint64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_signed_v<T>) {
            if (x < 0) return std::nullopt;
          }
          return static_cast<std::uint64_t>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

std::optional<double> GgufValue::as_float() const {
  if (const auto* f = std::get_if<float>(&v)) return *f;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

std::uint64_t GgufTensorInfo::count() const {
  std::uint64_t n = 1;
  for (const std::uint64_t d : dims) n *= d;
  return n;
}

std::uint64_t GgufTensorInfo::bytes() const {
  const GgmlTypeInfo* info = ggml_type_info(type);
  return count() / static_cast<std::uint64_t>(info->block_values) *
         static_cast<std::uint64_t>(info->block_bytes);
}

const GgufKeyValue* GgufFile::find(std::string_view key) const {
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

bool is_gguf(const ByteSource& source) {
  if (source.size() < 4) return false;
  std::array<std::byte, 4> magic{};
  source.read(0, magic);
  return magic == kMagic;
}

GgufFile read_gguf(const ByteSource& source) {
  GgufFile file;
  file.path = source.name();
  file.file_size = source.size();
  Reader reader(source, file);
  reader.header();
  reader.metadata_and_tensors();
  return file;
}

GgufWriter::GgufWriter(ByteSink& sink, ByteOrder order, const std::vector<GgufKeyValue>& metadata,
                       std::vector<Tensor> tensors)
    : sink_(sink), order_(order) {
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key != "general.alignment") continue;
    const auto* a = std::get_if<std::uint32_t>(&kv.value.v);
    if (a == nullptr || !is_power_of_two(*a)) {
      throw Error("GGUF writer: general.alignment must be a u32 power of two");
    }
    alignment_ = *a;
  }
  ValueWriter w(order);
  w.raw("GGUF");
  w.u32(3);
  w.u64(tensors.size());
  w.u64(metadata.size());
  for (const GgufKeyValue& kv : metadata) {
    w.string(kv.key);
    w.value(kv.value);
  }
  std::uint64_t offset = 0;
  for (Tensor& t : tensors) {
    if (ggml_type_info(t.type) == nullptr) throw Error("GGUF writer: unknown ggml type (a bug)");
    GgufTensorInfo info;
    info.name = std::move(t.name);
    info.dims = std::move(t.dims);
    info.type = t.type;
    info.offset = offset;
    info.info_offset = sink.size() + w.bytes().size();
    w.string(info.name);
    w.u32(static_cast<std::uint32_t>(info.dims.size()));
    for (const std::uint64_t d : info.dims) w.u64(d);
    w.u32(info.type);
    w.u64(info.offset);
    offset += align_to(info.bytes(), alignment_);
    tensors_.push_back(std::move(info));
  }
  sink_.write(w.bytes());
  pad();
}

void GgufWriter::pad() {
  static constexpr std::array<std::byte, 64> kZeros{};
  std::uint64_t missing = align_to(sink_.size(), alignment_) - sink_.size();
  while (missing > 0) {
    const std::uint64_t n = std::min<std::uint64_t>(missing, kZeros.size());
    sink_.write(std::span(kZeros).first(static_cast<std::size_t>(n)));
    missing -= n;
  }
}

void GgufWriter::write_tensor(std::span<const std::byte> data) {
  if (next_ >= tensors_.size() || data.size() != tensors_[next_].bytes()) {
    throw Error("GGUF writer: tensor data does not match the table (a bug)");
  }
  sink_.write(data);
  pad();
  ++next_;
}

void GgufWriter::finish() const {
  if (next_ != tensors_.size()) {
    throw Error("GGUF writer: " + std::to_string(tensors_.size() - next_) +
                " tensors were never written (a bug)");
  }
}

}  // namespace shoehorn
