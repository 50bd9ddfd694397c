// PNG files through libpng (part of the trainer's tools, not of the runtime).
#pragma once

#include <string>

#include "shoehorn/train/loss_log.hpp"

namespace shoehorn {

// Writes an 8-bit RGB PNG. Throws Error naming the path.
void write_png(const std::string& path, const RgbImage& image);

}  // namespace shoehorn
