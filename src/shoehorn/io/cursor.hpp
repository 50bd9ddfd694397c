// Bounds-checked cursors that name every field they read, so a short or lying file becomes a
// one-line error with the file, the field and the absolute offset.
//
//   ByteCursor:   over bytes already in memory (a header, a tokenizer file).
//   SourceCursor: over a ByteSource of any size, read through a window (GGUF metadata, whose
//                 length is known only once it has been read).
// Both get their typed reads (u8 ... f64) from TypedReads, built on their own take().
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"

namespace shoehorn {

// Typed reads for a cursor that provides take(n, field) -> n bytes, and order().
template <class Cursor>
class TypedReads {
 public:
  std::uint8_t u8(std::string_view field) {
    return std::to_integer<std::uint8_t>(self().take(1, field)[0]);
  }
  std::uint16_t u16(std::string_view field) {
    return load_u16(self().take(2, field).data(), self().order());
  }
  std::uint32_t u32(std::string_view field) {
    return load_u32(self().take(4, field).data(), self().order());
  }
  std::uint64_t u64(std::string_view field) {
    return load_u64(self().take(8, field).data(), self().order());
  }
  std::int32_t i32(std::string_view field) { return static_cast<std::int32_t>(u32(field)); }
  std::int64_t i64(std::string_view field) { return static_cast<std::int64_t>(u64(field)); }
  float f32(std::string_view field) { return std::bit_cast<float>(u32(field)); }
  double f64(std::string_view field) { return std::bit_cast<double>(u64(field)); }
  void skip(std::uint64_t n, std::string_view field) { (void)self().take(n, field); }

 private:
  Cursor& self() { return static_cast<Cursor&>(*this); }
};

class ByteCursor : public TypedReads<ByteCursor> {
 public:
  ByteCursor(std::string_view file, std::span<const std::byte> bytes, ByteOrder order,
             std::uint64_t base_offset = 0)
      : file_(file), bytes_(bytes), order_(order), base_(base_offset) {}

  std::uint64_t offset() const { return base_ + pos_; }
  std::uint64_t remaining() const { return bytes_.size() - pos_; }
  ByteOrder order() const { return order_; }
  std::string_view file() const { return file_; }

  bool has(std::uint64_t n) const { return n <= remaining(); }

  void need(std::uint64_t n, std::string_view field) const {
    if (!has(n)) {
      fail_at(file_, field, offset(),
              "truncated: needs " + std::to_string(n) + " bytes, " +
                  std::to_string(remaining()) + " left");
    }
  }

  std::span<const std::byte> take(std::uint64_t n, std::string_view field) {
    need(n, field);
    const auto out = bytes_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::span<const std::byte> bytes(std::uint64_t n, std::string_view field) {
    return take(n, field);
  }

 private:
  std::string_view file_;
  std::span<const std::byte> bytes_;
  ByteOrder order_;
  std::uint64_t base_;
  std::size_t pos_ = 0;
};

class SourceCursor : public TypedReads<SourceCursor> {
 public:
  SourceCursor(const ByteSource& source, ByteOrder order, std::uint64_t offset = 0);

  std::uint64_t offset() const { return pos_; }
  std::uint64_t remaining() const { return source_.size() - pos_; }
  ByteOrder order() const { return order_; }
  const std::string& file() const { return source_.name(); }
  void set_order(ByteOrder order) { order_ = order; }

  void need(std::uint64_t n, std::string_view field) const;

  // The next n bytes, valid until the next read. n is checked against the file first, so a
  // lying length never becomes a large allocation.
  std::span<const std::byte> take(std::uint64_t n, std::string_view field);

 private:
  static constexpr std::size_t kWindowBytes = 1 << 16;

  const ByteSource& source_;
  ByteOrder order_;
  std::uint64_t pos_;
  std::vector<std::byte> window_;
  std::uint64_t window_start_ = 0;
  std::size_t window_size_ = 0;
};

}  // namespace shoehorn
