// shoehorn run: llama2.c's run with its flags and defaults.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/generate/generate.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/memory/rss.hpp"

namespace shoehorn::cli {

namespace {

struct RunOptions {
  std::string model;
  std::optional<std::string> tokenizer;
  float temperature = 1.0f;
  float topp = 0.9f;
  std::string seed = "0";
  int steps = 256;
  std::optional<std::string> prompt;
  std::string mode = "generate";
  std::optional<std::string> system;
  int threads = 0;
  std::string kernels;
  MemoryFlags memory;
};

void report(std::ostream& err, const GenerationStats& stats, const PlannedModel& model) {
  char line[320];
  std::snprintf(line, sizeof line, "achieved tok/s: %f (%d positions, %d prompt tokens), peak RSS %.1f MiB\n",
                stats.tokens_per_second(), stats.positions, stats.prompt_tokens,
                static_cast<double>(peak_rss_bytes()) / (1 << 20));
  err << line;
  if (model.plan().streams()) report_stream(err, model, stats.tokens_per_second());
}

void run(const RunOptions& o, Io io) {
  // llama2.c's parameter overrides.
  std::uint64_t seed = parse_seed(o.seed);
  if (seed == 0) seed = static_cast<unsigned int>(std::time(nullptr));
  const float temperature = o.temperature < 0.0f ? 0.0f : o.temperature;
  const float topp = (o.topp < 0.0f || o.topp > 1.0f) ? 0.9f : o.topp;

  const std::string path = o.model.empty() ? default_model_path() : o.model;
  if (o.model.empty() && !std::filesystem::exists(path)) {
    fail(path, "no bundled default model in this build: pass a MODEL file");
  }
  const KernelPathScope kernel_path(o.kernels);
  PlannedModelOptions options = o.memory.options(o.steps < 0 ? 0 : o.steps, thread_count(o.threads));
  // Chat samples at every prompt position, as llama2.c does: its batches keep every logit.
  const Logits logits = o.mode == "chat" ? Logits::all : Logits::last;
  options.request.logits = logits;
  PlannedModel planned(path, options);
  const Model& model = planned.model();
  const int steps = planned.plan().positions;

  const Tokenizer tokenizer = load_tokenizer_for(model, o.tokenizer);
  Sampler sampler(model.config().vocab_size, {temperature, topp, seed});
  ThreadPool pool(thread_count(o.threads));
  Transformer transformer(model, steps, &pool, planned.plan().batch, &planned.weights(), logits,
                          planned.plan().kv_cache);

  GenerationStats stats;
  if (o.mode == "generate") {
    stats = generate(transformer, tokenizer, sampler, o.prompt.value_or(""), steps, io.out);
  } else {
    stats = chat(transformer, tokenizer, sampler, {o.prompt, o.system}, steps, io.in, io.out);
  }
  report(io.err, stats, planned);
  check_peak_rss(planned);
}

}  // namespace

void add_run(CLI::App& app, Io io) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Generate text (llama2.c's run, same flags)");
  cmd->add_option("model", options->model,
                  "Model file (llama2.c .bin or GGUF); default: the bundled model");
  cmd->add_option("-z", options->tokenizer, "Tokenizer (llama2.c tokenizer.bin)");
  cmd->add_option("-t", options->temperature, "Temperature, 0 = greedy (default 1.0)");
  cmd->add_option("-p", options->topp, "Top-p in nucleus sampling, 1 = off (default 0.9)");
  cmd->add_option("-s", options->seed, "Random seed, 0 = time (default 0)");
  cmd->add_option("-n", options->steps,
                  "Positions to run, prompt included; 0 = the model's context (default 256)");
  cmd->add_option("-i", options->prompt, "Input prompt");
  cmd->add_option("-m", options->mode, "Mode: generate|chat (default generate)")
      ->check(CLI::IsMember({"generate", "chat"}));
  cmd->add_option("-y", options->system, "System prompt in chat mode");
  add_threads_option(*cmd, options->threads);
  add_kernels_option(*cmd, options->kernels);
  options->memory.add_to(*cmd);
  cmd->callback([options, io] { run(*options, io); });
}

}  // namespace shoehorn::cli
