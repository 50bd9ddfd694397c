// From a corpus to a model: count, smooth, prune to a ROM budget, quantize, lay out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shoehorn/ngram/model.hpp"
#include "shoehorn/ngram/smoothing.hpp"

namespace shoehorn::ngram {

struct BuildOptions {
  int order = 7;
  // The cartridge's PRG bytes: whole 16 KiB banks, kRuntimeReserveBytes of which stay for the
  // runtime. None: keep every n-gram.
  std::optional<std::uint64_t> rom_budget;
  Smoothing smoothing = Smoothing::katz;
  std::string alphabet = "bytes";
  std::string start = "\n";
};

struct LevelReport {
  std::uint32_t counted = 0;  // distinct n-grams in the corpus
  std::uint32_t kept = 0;
  std::uint64_t bytes = 0;    // of the image, sentinel included
};

struct BuildReport {
  std::uint64_t corpus_bytes = 0;
  int alphabet = 0;
  std::vector<LevelReport> levels;  // levels[k - 1]: order k
  std::uint64_t image_bytes = 0;
};

// Throws Error for options no model can meet (an order outside 1..8, a budget that is not whole
// banks or leaves no room for the alphabet, a start string too long).
Model build_model(const std::vector<std::string>& corpus, const BuildOptions& options, BuildReport* report);

}  // namespace shoehorn::ngram
