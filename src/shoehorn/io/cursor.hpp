// A bounds-checked cursor over bytes already in memory (a header, a tokenizer file).
// Every read names the field it is reading, so a short buffer becomes a one-line error with the
// file, the field and the absolute offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn {

class ByteCursor {
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

  std::uint8_t u8(std::string_view field) {
    need(1, field);
    return std::to_integer<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint16_t u16(std::string_view field) {
    need(2, field);
    const auto v = load_u16(bytes_.data() + pos_, order_);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32(std::string_view field) {
    need(4, field);
    const auto v = load_u32(bytes_.data() + pos_, order_);
    pos_ += 4;
    return v;
  }
  std::int32_t i32(std::string_view field) { return static_cast<std::int32_t>(u32(field)); }
  std::uint64_t u64(std::string_view field) {
    need(8, field);
    const auto v = load_u64(bytes_.data() + pos_, order_);
    pos_ += 8;
    return v;
  }
  std::int64_t i64(std::string_view field) { return static_cast<std::int64_t>(u64(field)); }
  float f32(std::string_view field) { return std::bit_cast<float>(u32(field)); }

  std::span<const std::byte> bytes(std::uint64_t n, std::string_view field) {
    need(n, field);
    const auto out = bytes_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  void skip(std::uint64_t n, std::string_view field) { (void)bytes(n, field); }

 private:
  std::string_view file_;
  std::span<const std::byte> bytes_;
  ByteOrder order_;
  std::uint64_t base_;
  std::size_t pos_ = 0;
};

}  // namespace shoehorn
