// From a file to a runnable Model: detect the format, validate the header and tensor table,
// then decode every tensor into one arena.
#pragma once

#include <string>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/model.hpp"

namespace shoehorn {

// Reads the header and tensor table of any supported model file.
ModelFile read_model_file(const ByteSource& source);

// Decodes every tensor of file into host-order arrays in one arena sized up front.
Model load_resident(ModelFile file, const ByteSource& source);

// How resident Q8_0 and Q4_0 matrices are laid out in memory: as in the file, or in groups of
// eight interleaved rows (q8_0x8 and q4_0x8, see BlockQ8_0x8), which the SIMD kernels multiply
// without horizontal sums. Either gives the same bits on every kernel path.
enum class RowLayout { file, interleaved };

// Decodes only the tensors the plan keeps resident; the others (shape and type, no data) are
// for a StreamedWeights to read while the model runs.
Model load_planned(ModelFile file, const ByteSource& source, const MemoryPlan& plan,
                   RowLayout layout = RowLayout::file);

Model load_model(const std::string& path);

// The model as it reads back after write_llama2c(model, options): version 2 quantizes it to
// int8 groups exactly as `shoehorn convert --llama2c-version 2` does, versions 0 and 1
// dequantize. Nothing touches the disk.
Model reloaded_as(const Model& model, const Llama2cWriteOptions& options);

}  // namespace shoehorn
