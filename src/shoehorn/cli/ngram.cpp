// shoehorn ngram build|run|eval: byte n-gram models that fit a ROM budget.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/build.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/ngram/runtime.hpp"

namespace shoehorn::cli {

namespace {

constexpr std::uint64_t kMaxCorpusBytes = 1ull << 30;

struct BuildFlags {
  std::vector<std::string> corpus;
  int order = 7;
  std::optional<std::string> rom_budget;
  std::string alphabet = "bytes";
  std::string smoothing = "katz";
  std::string start = "\\n";
  std::string output;
};

struct RunFlags {
  std::string model;
  std::uint32_t seed = 1;
  int steps = 256;
  std::string prompt;
};

struct EvalFlags {
  std::string model;
  std::string data;
  bool lowercase = false;
  bool json = false;
};

void print_report(const ngram::BuildReport& r, const ngram::Model& m, std::ostream& out) {
  char line[160];
  out << "corpus: " << r.corpus_bytes << " bytes, alphabet " << r.alphabet << " symbols\n";
  std::snprintf(line, sizeof line, "%6s %12s %12s %12s\n", "order", "n-grams", "kept", "bytes");
  out << line;
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    const ngram::LevelReport& l = r.levels[k];
    std::snprintf(line, sizeof line, "%6zu %12u %12u %12llu\n", k + 1, l.counted, l.kept,
                  static_cast<unsigned long long>(l.bytes));
    out << line;
  }
  out << "tables: " << r.image_bytes << " bytes";
  if (m.rom_budget != 0) {
    out << " + " << ngram::kRuntimeReserveBytes << " runtime = "
        << r.image_bytes + ngram::kRuntimeReserveBytes << " of a " << m.rom_budget << "-byte ROM budget";
  } else {
    out << " (not pruned)";
  }
  out << '\n';
}

void build(const BuildFlags& f, Io io) {
  std::vector<std::string> corpus;
  for (const std::string& path : f.corpus) corpus.push_back(read_text_file(path, kMaxCorpusBytes));
  ngram::BuildOptions options;
  options.order = f.order;
  if (f.rom_budget) options.rom_budget = parse_size(*f.rom_budget);
  options.alphabet = f.alphabet;
  options.smoothing = f.smoothing == "kneser-ney" ? ngram::Smoothing::kneser_ney : ngram::Smoothing::katz;
  options.start = unescape(f.start);
  ngram::BuildReport report;
  const ngram::Model model = ngram::build_model(corpus, options, &report);
  write_file(f.output, ngram::write_model(model));
  print_report(report, model, io.out);
}

void run(const RunFlags& f, Io io) {
  const ngram::Model model = ngram::read_model(FileSource(f.model));
  io.out << ngram::generate(model, f.seed, f.prompt, f.steps);
}

void eval(const EvalFlags& f, Io io) {
  const ngram::Model model = ngram::read_model(FileSource(f.model));
  std::string text = read_text_file(f.data, kMaxCorpusBytes);
  if (f.lowercase) {
    for (char& c : text) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const ngram::Evaluation e = ngram::evaluate(model, text);
  char line[200];
  std::snprintf(line, sizeof line, "bits per byte: %.4f (%llu bytes scored, %llu outside the alphabet)\n",
                e.bits_per_byte(), static_cast<unsigned long long>(e.bytes),
                static_cast<unsigned long long>(e.unknown));
  io.out << line;
  if (f.json) {
    std::snprintf(line, sizeof line,
                  "{\"bits_per_byte\": %.6f, \"bytes\": %llu, \"unknown_bytes\": %llu, \"table_bytes\": %zu}\n",
                  e.bits_per_byte(), static_cast<unsigned long long>(e.bytes),
                  static_cast<unsigned long long>(e.unknown), model.image.size());
    io.out << line;
  }
}

}  // namespace

void add_ngram(CLI::App& app, Io io) {
  CLI::App* ngram = app.add_subcommand("ngram", "Byte n-gram models in a ROM budget");
  ngram->require_subcommand(1);

  auto b = std::make_shared<BuildFlags>();
  CLI::App* cmd = ngram->add_subcommand("build", "Count, smooth (Katz or Kneser-Ney), prune to a ROM budget, quantize");
  cmd->add_option("corpus", b->corpus, "Training text files")->required();
  cmd->add_option("--order", b->order, "Longest n-gram, 1..8 (default 7)");
  cmd->add_option("--rom-budget", b->rom_budget,
                  "PRG ROM bytes for tables and runtime, whole 16K banks (e.g. 256K); default: no pruning");
  cmd->add_option("--alphabet", b->alphabet, "bytes (default), ascii or corpus");
  cmd->add_option("--smoothing", b->smoothing, "katz (default: prunes well) or kneser-ney (best unpruned)")
      ->check(CLI::IsMember({"katz", "kneser-ney"}));
  cmd->add_option("--start", b->start, "Context before any text, with \\n \\t \\xHH escapes (default \\n)");
  cmd->add_option("-o", b->output, "Model file to write")->required();
  cmd->callback([b, io] { build(*b, io); });

  auto r = std::make_shared<RunFlags>();
  cmd = ngram->add_subcommand("run", "Generate text with the integer reference runtime");
  cmd->add_option("model", r->model, "Model file")->required();
  cmd->add_option("-s,--seed", r->seed, "Random seed, 0..4294967295 (default 1)");
  cmd->add_option("-n", r->steps, "Bytes to generate after the prompt (default 256)")->check(CLI::NonNegativeNumber);
  cmd->add_option("-i", r->prompt, "Prompt (printed, then continued)");
  cmd->callback([r, io] { run(*r, io); });

  auto e = std::make_shared<EvalFlags>();
  cmd = ngram->add_subcommand("eval", "Bits per byte of a text under the model");
  cmd->add_option("model", e->model, "Model file")->required();
  cmd->add_option("--data", e->data, "Text to score")->required();
  cmd->add_flag("--lowercase", e->lowercase, "Lowercase A-Z first");
  cmd->add_flag("--json", e->json, "Also print one JSON line");
  cmd->callback([e, io] { eval(*e, io); });
}

}  // namespace shoehorn::cli
