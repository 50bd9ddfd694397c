// The header-only constexpr engine that baked models include: forward pass, tokenizer,
// sampler and generate loop, in C++20 with fixed-size arrays, no heap, no I/O. See
// docs/COMPILE_TIME.md.
#pragma once

#include "shoehorn/ctime/forward.hpp"
#include "shoehorn/ctime/generate.hpp"
#include "shoehorn/ctime/model.hpp"
#include "shoehorn/ctime/tokenizer.hpp"
