#include "shoehorn/train/png_file.hpp"

#include <png.h>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

void write_png(const std::string& path, const RgbImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  if (png_image_write_to_file(&png, path.c_str(), 0, image.rgb.data(), 0, nullptr) == 0) {
    fail(path, std::string("cannot write PNG: ") + png.message);
  }
}

}  // namespace shoehorn
