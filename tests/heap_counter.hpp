// The number of heap allocations so far, in a test binary linked with heap_counter.cpp.
#pragma once

namespace shoehorn::test {
long heap_allocations();
}  // namespace shoehorn::test
