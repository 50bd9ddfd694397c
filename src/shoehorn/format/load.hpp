// From a file to a runnable Model: detect the format, validate the header and tensor table,
// then decode every tensor into one arena.
#pragma once

#include <string>

#include "shoehorn/io/source.hpp"
#include "shoehorn/model/model.hpp"

namespace shoehorn {

// Reads the header and tensor table of any supported model file.
ModelFile read_model_file(const ByteSource& source);

// Decodes every tensor of file into host-order arrays in one arena sized up front.
Model load_resident(ModelFile file, const ByteSource& source);

Model load_model(const std::string& path);

}  // namespace shoehorn
