#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/size.hpp"

#include <algorithm>

namespace shoehorn {

SourceCursor::SourceCursor(const ByteSource& source, ByteOrder order, std::uint64_t offset)
    : source_(source), order_(order), pos_(offset) {
  if (offset > source.size()) fail_at(source.name(), "start", offset, "beyond the end of the file");
}

void SourceCursor::need(std::uint64_t n, std::string_view field) const {
  if (n > remaining()) {
    fail_at(source_.name(), field, pos_,
            "truncated: needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                " left");
  }
}

std::span<const std::byte> SourceCursor::take(std::uint64_t n, std::string_view field) {
  need(n, field);
  const std::size_t count = to_size(n, field);
  if (pos_ < window_start_ || pos_ + n > window_start_ + window_size_) {
    // Refill from pos_: at least the request, and a whole window when the file has it.
    window_size_ = static_cast<std::size_t>(
        std::max<std::uint64_t>(n, std::min<std::uint64_t>(kWindowBytes, remaining())));
    if (window_.size() < window_size_) window_.resize(window_size_);
    window_start_ = pos_;
    source_.read(pos_, std::span(window_).first(window_size_));
  }
  const auto out = std::span<const std::byte>(window_).subspan(
      static_cast<std::size_t>(pos_ - window_start_), count);
  pos_ += n;
  return out;
}

}  // namespace shoehorn
