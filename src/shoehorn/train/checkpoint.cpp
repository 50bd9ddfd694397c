#include "shoehorn/train/checkpoint.hpp"

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn {

namespace {

constexpr std::uint32_t kCheckpointMagic = 0x4B434853;  // "SHCK" read as a little-endian u32
constexpr std::uint32_t kCheckpointVersion = 1;
constexpr std::uint64_t kMaxCheckpointBytes = 16ull << 30;
constexpr std::uint32_t kMaxSettingsBytes = 1 << 20;
constexpr std::uint32_t kMaxArrays = 1 << 16;
constexpr std::uint32_t kMaxNameBytes = 256;
constexpr std::uint32_t kMaxRank = 4;
constexpr std::uint64_t kMaxDimension = 1ull << 40;

class Writer {
 public:
  void u32(std::uint32_t v) { store(4, [&](std::byte* p) { store_u32(p, v, ByteOrder::little); }); }
  void u64(std::uint64_t v) { store(8, [&](std::byte* p) { store_u64(p, v, ByteOrder::little); }); }
  void text(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    for (const char c : s) out.push_back(static_cast<std::byte>(c));
  }
  void floats(const std::vector<float>& values) {
    const std::size_t at = out.size();
    out.resize(at + 4 * values.size());
    encode_f32(values, std::span(out).subspan(at), ByteOrder::little);
  }
  std::vector<std::byte> out;

 private:
  template <class Store>
  void store(std::size_t n, Store s) {
    out.resize(out.size() + n);
    s(out.data() + out.size() - n);
  }
};

std::string read_text(ByteCursor& in, std::uint32_t max, std::string_view field) {
  const std::uint64_t offset = in.offset();
  const std::uint32_t size = in.u32(field);
  if (size > max) {
    fail_at(in.file(), field, offset,
            "length " + std::to_string(size) + " is over the limit of " + std::to_string(max));
  }
  const auto bytes = in.bytes(size, field);
  std::string text(bytes.size(), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) text[i] = static_cast<char>(bytes[i]);
  return text;
}

NamedArray read_array(ByteCursor& in, std::size_t index) {
  const std::string field = "array[" + std::to_string(index) + "]";
  NamedArray array;
  const std::uint64_t name_offset = in.offset();
  array.name = read_text(in, kMaxNameBytes, field + ".name");
  if (array.name.empty()) fail_at(in.file(), field + ".name", name_offset, "empty name");
  const std::uint64_t rank_offset = in.offset();
  const std::uint32_t rank = in.u32(field + ".rank");
  if (rank < 1 || rank > kMaxRank) {
    fail_at(in.file(), field + ".rank", rank_offset,
            "value " + std::to_string(rank) + " is outside 1.." + std::to_string(kMaxRank));
  }
  std::uint64_t count = 1;
  for (std::uint32_t d = 0; d < rank; ++d) {
    const std::uint64_t dim_offset = in.offset();
    const std::uint64_t dim = in.u64(field + ".shape");
    // The product is checked against the bytes left before it is formed, so it cannot overflow.
    if (dim > kMaxDimension || (dim != 0 && count > in.remaining() / 4 / dim)) {
      fail_at(in.file(), field + ".shape", dim_offset,
              "dimension " + std::to_string(dim) + " needs more values than the " +
                  std::to_string(in.remaining()) + " bytes left");
    }
    count *= dim;
    array.shape.push_back(static_cast<std::int64_t>(dim));
  }
  const auto bytes = in.bytes(4 * count, field + ".values");
  array.values.resize(static_cast<std::size_t>(count));
  decode_f32(bytes, array.values, ByteOrder::little);
  return array;
}

}  // namespace

const NamedArray* TrainCheckpoint::find(std::string_view name) const {
  for (const NamedArray& a : arrays) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::byte> write_checkpoint(const TrainCheckpoint& c) {
  Writer w;
  w.u32(kCheckpointMagic);
  w.u32(kCheckpointVersion);
  w.u64(c.step);
  w.u64(c.rng_state);
  w.text(c.settings_text);
  w.u32(static_cast<std::uint32_t>(c.arrays.size()));
  for (const NamedArray& a : c.arrays) {
    w.text(a.name);
    w.u32(static_cast<std::uint32_t>(a.shape.size()));
    for (const std::int64_t d : a.shape) w.u64(static_cast<std::uint64_t>(d));
    w.floats(a.values);
  }
  return std::move(w.out);
}

TrainCheckpoint read_checkpoint(const ByteSource& source) {
  const std::string& name = source.name();
  const std::vector<std::byte> bytes = read_all(source, kMaxCheckpointBytes);
  ByteCursor in(name, bytes, ByteOrder::little);
  if (in.u32("magic") != kCheckpointMagic) {
    fail_at(name, "magic", 0, "not a shoehorn training checkpoint");
  }
  if (const std::uint32_t version = in.u32("version"); version != kCheckpointVersion) {
    fail_at(name, "version", 4, "version " + std::to_string(version) + " is not 1");
  }
  TrainCheckpoint c;
  c.step = in.u64("step");
  c.rng_state = in.u64("rng_state");
  c.settings_text = read_text(in, kMaxSettingsBytes, "settings");
  const std::uint64_t count_offset = in.offset();
  const std::uint32_t count = in.u32("array count");
  if (count > kMaxArrays) {
    fail_at(name, "array count", count_offset,
            "value " + std::to_string(count) + " is over the limit of " + std::to_string(kMaxArrays));
  }
  for (std::uint32_t i = 0; i < count; ++i) c.arrays.push_back(read_array(in, i));
  if (in.remaining() != 0) {
    fail_at(name, "end", in.offset(), std::to_string(in.remaining()) + " unexpected bytes");
  }
  return c;
}

}  // namespace shoehorn
