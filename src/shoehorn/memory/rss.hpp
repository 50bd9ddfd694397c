// Peak resident set size of this process, for the stats line and for memory tests.
#pragma once

#include <cstdint>

namespace shoehorn {

// Bytes; 0 where the platform does not say.
std::uint64_t peak_rss_bytes();

}  // namespace shoehorn
