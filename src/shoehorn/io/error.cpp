#include "shoehorn/io/error.hpp"

#include <cstdio>

namespace shoehorn {

Error::Error(const std::string& message) : std::runtime_error(one_line(message)) {}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

void fail_at(std::string_view file, std::string_view field, std::uint64_t offset,
             std::string_view what) {
  throw Error(std::string(file) + ": " + std::string(field) + " at offset " +
              std::to_string(offset) + ": " + std::string(what));
}

void fail(std::string_view file, std::string_view what) {
  throw Error(std::string(file) + ": " + std::string(what));
}

}  // namespace shoehorn
