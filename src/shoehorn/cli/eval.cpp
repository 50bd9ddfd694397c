// shoehorn eval: bits per byte and per-token perplexity of a model over a text file.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string_view>
#include <utility>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/api/session.hpp"
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
  int slices = 0;
};

struct Scored {
  EvalResult result;
  std::size_t bytes = 0;
};

Scored score(Transformer& transformer, const Tokenizer& tokenizer, std::string_view text) {
  const std::vector<int> tokens = tokenizer.encode(text, /*bos=*/false, /*eos=*/false);
  return {evaluate(transformer, tokens, tokenizer.vocab().bos_id()), text.size()};
}

// One line per slice, and the slices as a JSON field ("" when there are none).
std::pair<std::string, std::string> describe_slices(const std::vector<Scored>& slices) {
  std::string lines, json;
  char line[160];
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const double bpb = slices[i].result.bits_per_byte(slices[i].bytes);
    std::snprintf(line, sizeof line, "slice %zu: %.6f bits per byte, %zu bytes, %llu tokens\n", i + 1,
                  bpb, slices[i].bytes, static_cast<unsigned long long>(slices[i].result.tokens));
    lines += line;
    std::snprintf(line, sizeof line, "%s{\"bits_per_byte\": %.6f, \"bytes\": %zu, \"tokens\": %llu}",
                  i == 0 ? "" : ", ", bpb, slices[i].bytes,
                  static_cast<unsigned long long>(slices[i].result.tokens));
    json += line;
  }
  if (slices.empty()) return {};
  return {lines, ", \"slices\": [" + json + "]"};
}

void eval(const EvalOptions& o, Io io) {
  const std::string path = model_or_default(o.model);
  const std::optional<kernels::KernelPath> kernel_path = kernel_path_named(o.kernels);
  const int threads = thread_count(o.threads);
  PlannedModelOptions options = o.memory.options(0, threads, kernel_path);
  options.request.logits = Logits::all;  // every position is scored
  PlannedModel planned(path, options);
  const Model& model = planned.model();
  const Tokenizer tokenizer = load_tokenizer_for(model, o.tokenizer);
  const std::vector<std::byte> bytes = read_all(FileSource(o.data), kMaxDataBytes);
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  const auto start = std::chrono::steady_clock::now();
  SessionOptions session_options;
  session_options.threads = threads;
  session_options.path = kernel_path;
  session_options.logits = Logits::all;  // every position is scored
  session_options.positions = model.config().seq_len;
  Session session(planned, session_options);
  Transformer& transformer = session.transformer();
  const EvalResult r = score(transformer, tokenizer, text).result;
  std::vector<Scored> slices;
  for (const std::string_view slice : split_whole_lines(text, o.slices)) {
    slices.push_back(score(transformer, tokenizer, slice));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto [slice_lines, slice_json] = describe_slices(slices);

  char line[512];
  std::snprintf(line, sizeof line,
                "%s on %s\n"
                "bits per byte: %.6f\n"
                "token perplexity: %.4f\n"
                "tokens: %llu in %llu windows of up to %d (BOS + %d), bytes: %zu, %.1f s\n",
                path.c_str(), o.data.c_str(), r.bits_per_byte(bytes.size()), r.token_perplexity(),
                static_cast<unsigned long long>(r.tokens), static_cast<unsigned long long>(r.windows),
                model.config().seq_len, model.config().seq_len - 1, bytes.size(), seconds);
  (o.json ? io.err : io.out) << line << slice_lines;
  if (o.json) {
    std::snprintf(line, sizeof line,
                  "{\"bits_per_byte\": %.6f, \"token_perplexity\": %.4f, \"tokens\": %llu, "
                  "\"bytes\": %zu, \"windows\": %llu, \"seconds\": %.3f",
                  r.bits_per_byte(bytes.size()), r.token_perplexity(),
                  static_cast<unsigned long long>(r.tokens), bytes.size(),
                  static_cast<unsigned long long>(r.windows), seconds);
    io.out << line << slice_json << "}\n";
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
  cmd->add_option("--slices", options->slices,
                  "Also score N consecutive runs of whole lines of about equal bytes, each alone")
      ->check(CLI::Range(1, 1000));
  add_threads_option(*cmd, options->threads);
  add_kernels_option(*cmd, options->kernels);
  options->memory.add_to(*cmd);
  cmd->callback([options, io] { eval(*options, io); });
}

}  // namespace shoehorn::cli
