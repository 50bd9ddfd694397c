// shoehorn eval: bits per byte and per-token perplexity of a model over a text file.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/generate/eval.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

namespace {

constexpr std::uint64_t kMaxDataBytes = 1ull << 30;

struct EvalOptions {
  std::string model;
  std::optional<std::string> tokenizer;
  std::string data;
  bool json = false;
  std::string top1;
  MemoryFlags memory;
  int threads = 0;
  std::string kernels;
};

void eval(const EvalOptions& o, Io io) {
  const std::string path = model_or_default(o.model);
  const KernelPathScope kernel_path(o.kernels);
  PlannedModelOptions options = o.memory.options(0, thread_count(o.threads));
  options.request.logits = Logits::all;  // every position is scored
  PlannedModel planned(path, options);
  const Model& model = planned.model();
  const Tokenizer tokenizer = load_tokenizer_for(model, o.tokenizer);
  const std::vector<std::byte> bytes = read_all(FileSource(o.data), kMaxDataBytes);
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::vector<int> tokens = tokenizer.encode(text, /*bos=*/false, /*eos=*/false);

  ThreadPool pool(thread_count(o.threads));
  const auto start = std::chrono::steady_clock::now();
  Transformer transformer(model, model.config().seq_len, &pool, planned.plan().batch,
                          &planned.weights(), Logits::all, planned.plan().kv_cache);
  const EvalResult r = evaluate(transformer, tokens, tokenizer.vocab().bos_id());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  char line[512];
  std::snprintf(line, sizeof line,
                "%s on %s\n"
                "bits per byte: %.6f\n"
                "token perplexity: %.4f\n"
                "tokens: %llu in %llu windows of up to %d (BOS + %d), bytes: %zu, %.1f s\n",
                path.c_str(), o.data.c_str(), r.bits_per_byte(bytes.size()), r.token_perplexity(),
                static_cast<unsigned long long>(r.tokens), static_cast<unsigned long long>(r.windows),
                model.config().seq_len, model.config().seq_len - 1, bytes.size(), seconds);
  (o.json ? io.err : io.out) << line;
  if (o.json) {
    std::snprintf(line, sizeof line,
                  "{\"bits_per_byte\": %.6f, \"token_perplexity\": %.4f, \"tokens\": %llu, "
                  "\"bytes\": %zu, \"windows\": %llu, \"seconds\": %.3f}\n",
                  r.bits_per_byte(bytes.size()), r.token_perplexity(),
                  static_cast<unsigned long long>(r.tokens), bytes.size(),
                  static_cast<unsigned long long>(r.windows), seconds);
    io.out << line;
  }
  if (!o.top1.empty()) {
    std::string ids;
    for (const int id : r.first_window_top1) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    ids += "\n";
    write_file(o.top1, std::as_bytes(std::span(ids.data(), ids.size())));
  }
  check_peak_rss(planned);
}

}  // namespace

void add_eval(CLI::App& app, Io io) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Bits per byte and token perplexity over a text, in windows of the context");
  cmd->add_option("model", options->model, "Model file; default: the bundled model");
  cmd->add_option("-z", options->tokenizer, "Tokenizer (default: the model's own, or tokenizer.bin)");
  cmd->add_option("--data", options->data, "Text file to score")->required();
  cmd->add_flag("--json", options->json, "Last stdout line: one JSON object");
  cmd->add_option("--top1", options->top1,
                  "Write the most likely token at each position of the first window here");
  add_threads_option(*cmd, options->threads);
  add_kernels_option(*cmd, options->kernels);
  options->memory.add_to(*cmd);
  cmd->callback([options, io] { eval(*options, io); });
}

}  // namespace shoehorn::cli
