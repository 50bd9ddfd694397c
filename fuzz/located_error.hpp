// What every parser promises of an input it rejects: an Error whose message is one line,
// "FILE: FIELD at offset N: WHAT" (io/error.hpp's fail_at). A fuzzer that catches any other
// message aborts, so that libFuzzer keeps the input that produced it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shoehorn/io/error.hpp"

namespace shoehorn::fuzz {

// Whether `message` is "FILE: FIELD at offset N: WHAT" with FIELD and WHAT not empty. FIELD
// may quote the input (a GGUF key), " at offset " included: any occurrence followed by N and
// ": " will do.
inline bool is_located(std::string_view message, std::string_view file) {
  if (message.find('\n') != std::string_view::npos) return false;
  const std::string prefix = std::string(file) + ": ";
  if (!message.starts_with(prefix)) return false;
  const std::string_view rest = message.substr(prefix.size());
  const std::string_view marker = " at offset ";
  for (std::size_t at = rest.find(marker, 1); at != std::string_view::npos; at = rest.find(marker, at + 1)) {
    std::size_t end = at + marker.size();
    const std::size_t first_digit = end;
    while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
    if (end > first_digit && rest.substr(end).starts_with(": ") && rest.size() > end + 2) return true;
  }
  return false;
}

inline void expect_located(const Error& e, std::string_view file) {
  if (is_located(e.what(), file)) return;
  std::fprintf(stderr, "an error message without file, field and offset: %s\n", e.what());
  std::abort();
}

}  // namespace shoehorn::fuzz
