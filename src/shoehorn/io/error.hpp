// One error type for bad input: its message is one line naming file, field and offset.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shoehorn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
};

// "FILE: FIELD at offset N: WHAT". Newlines and control bytes in any part are escaped, so the
// message always stays on one line.
[[noreturn]] void fail_at(std::string_view file, std::string_view field, std::uint64_t offset,
                          std::string_view what);

// "FILE: WHAT", for errors that have no single offset (missing file, I/O error).
[[noreturn]] void fail(std::string_view file, std::string_view what);

// Escapes control bytes so that user-supplied text cannot break the one-line rule.
std::string one_line(std::string_view text);

}  // namespace shoehorn
