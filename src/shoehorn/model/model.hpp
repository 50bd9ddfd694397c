// A model ready to run: its config, its tensor table, and its weights decoded into one arena.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/config.hpp"
#include "shoehorn/model/weights.hpp"

namespace shoehorn {

// What a model file says about itself, before any weight is read.
struct ModelFile {
  std::string path;
  std::string format;  // e.g. "llama2.c v0 (legacy fp32)"
  ByteOrder byte_order = ByteOrder::little;
  std::uint64_t file_size = 0;
  Config config;
  bool shared_classifier = true;
  std::uint64_t vocab_merges = 0;  // a BPE vocabulary's merges in the file (memory plans count them)
  std::vector<TensorInfo> tensors;  // in file order
  std::vector<std::uint32_t> checksums;  // CRC-32 of each tensor's bytes (a pack), or none
};

struct Model {
  ModelFile file;
  Arena storage;  // owns every weight array
  Weights weights;

  const Config& config() const { return file.config; }
};

}  // namespace shoehorn
