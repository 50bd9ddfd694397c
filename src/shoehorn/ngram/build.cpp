#include "shoehorn/ngram/build.hpp"

#include "shoehorn/io/error.hpp"
#include "shoehorn/ngram/counts.hpp"
#include "shoehorn/ngram/prune.hpp"
#include "shoehorn/ngram/quantize.hpp"
#include "shoehorn/ngram/smoothing.hpp"

namespace shoehorn::ngram {

namespace {

constexpr std::uint64_t kMaxBudget = 256ull * kBankBytes;  // 4 MiB: an 8-bit bank register

std::string kib(std::uint64_t bytes) {
  return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + "K" : std::to_string(bytes) + " bytes";
}

void check_options(const BuildOptions& o) {
  if (o.order < 1 || o.order > kMaxOrder) {
    throw Error("--order " + std::to_string(o.order) + " is outside 1..8");
  }
  if (o.start.size() > kMaxStartBytes) {
    throw Error("--start is " + std::to_string(o.start.size()) + " bytes, at most 16");
  }
  if (!o.rom_budget) return;
  const std::uint64_t budget = *o.rom_budget;
  if (budget == 0 || budget % kBankBytes != 0) {
    throw Error("--rom-budget " + kib(budget) + " is not a whole number of 16K banks");
  }
  if (budget > kMaxBudget) throw Error("--rom-budget " + kib(budget) + " is more than 256 banks (4096K)");
}

// The kept nodes of each level, renumbered, with their quantized codes.
std::vector<LevelRecords> quantized_levels(const Counts& counts, const Probabilities& p, const Kept& kept,
                                           const QValues& qvalue) {
  const int order = counts.order;
  const std::size_t alphabet = counts.level(1).size();
  std::vector<LevelRecords> levels(static_cast<std::size_t>(order));
  for (int k = 1; k <= order; ++k) {
    const CountLevel& level = counts.level(k);
    const std::vector<bool>& keep = kept[static_cast<std::size_t>(k - 1)];
    LevelRecords& out = levels[static_cast<std::size_t>(k - 1)];
    // Contexts of level k - 1, each a sorted run of level-k nodes.
    const std::size_t contexts = k == 1 ? 1 : counts.level(k - 1).size();
    for (std::size_t h = 0; h < contexts; ++h) {
      if (k > 1 && !kept[static_cast<std::size_t>(k - 2)][h]) continue;
      const std::size_t first = k == 1 ? 0 : counts.level(k - 1).first_child[h];
      const std::size_t end = k == 1 ? level.size() : counts.level(k - 1).first_child[h + 1];
      std::vector<double> probabilities;
      std::vector<std::uint8_t> symbols;
      for (std::size_t c = first; c < end; ++c) {
        if (!keep[c]) continue;
        probabilities.push_back(p[static_cast<std::size_t>(k - 1)][c]);
        symbols.push_back(level.last_byte(c, k));
      }
      const std::vector<std::uint8_t> codes = quantize_context(probabilities, symbols.size() == alphabet, qvalue);
      out.symbol.insert(out.symbol.end(), symbols.begin(), symbols.end());
      out.code.insert(out.code.end(), codes.begin(), codes.end());
      if (k > 1) {
        // The parent's first child, in the renumbered level.
        levels[static_cast<std::size_t>(k - 2)].first_child.push_back(
            static_cast<std::uint32_t>(out.symbol.size() - symbols.size()));
      }
    }
    if (k > 1) {
      levels[static_cast<std::size_t>(k - 2)].first_child.push_back(static_cast<std::uint32_t>(out.symbol.size()));
    }
  }
  return levels;
}

}  // namespace

Model build_model(const std::vector<std::string>& corpus, const BuildOptions& options, BuildReport* report) {
  check_options(options);
  const Alphabet alphabet = parse_alphabet(options.alphabet, corpus);
  const Counts counts = count_ngrams(corpus, alphabet, options.order);
  const Probabilities p = smooth(counts, options.smoothing);

  Kept kept;
  if (options.rom_budget) {
    if (*options.rom_budget <= kRuntimeReserveBytes) {
      throw Error("--rom-budget " + kib(*options.rom_budget) + " leaves nothing after the " +
                  kib(kRuntimeReserveBytes) + " the runtime needs");
    }
    kept = prune(counts, pruning_costs(counts, p), *options.rom_budget - kRuntimeReserveBytes);
  } else {
    kept = keep_all(counts);
  }

  Model model;
  model.order = options.order;
  model.rom_budget = static_cast<std::uint32_t>(options.rom_budget.value_or(0));
  model.start = options.start;
  model.qvalue = logistic_qvalues();
  lay_out(model, quantized_levels(counts, p, kept, model.qvalue));

  if (report != nullptr) {
    report->corpus_bytes = counts.positions;
    report->alphabet = alphabet.size();
    report->levels.clear();
    const std::vector<std::uint32_t> sizes = kept_counts(kept);
    for (int k = 1; k <= model.order; ++k) {
      LevelReport level;
      level.counted = static_cast<std::uint32_t>(counts.level(k).size());
      level.kept = sizes[static_cast<std::size_t>(k - 1)];
      level.bytes = std::uint64_t{level.kept + (k < model.order ? 1u : 0u)} * model.record_size(k);
      report->levels.push_back(level);
    }
    report->image_bytes = model.image.size();
  }
  return model;
}

}  // namespace shoehorn::ngram
