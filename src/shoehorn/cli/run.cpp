// shoehorn run: llama2.c's run with its flags and defaults.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/api/session.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/source.hpp"
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
  std::optional<std::string> chat_template;  // a family name: overrides the model's template
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

// How `-m chat` talks to a model: in its chat template's family (--chat-template, else the
// family of a GGUF's tokenizer.chat_template), or, with neither, llama2.c's own chat.
std::optional<TemplateChat> chat_template_for(const std::string& path,
                                              const std::optional<std::string>& name) {
  TemplateChat chat;
  std::optional<GgufFile> gguf;
  if (const FileSource source(path); is_gguf(source)) gguf = read_gguf(source);
  const GgufKeyValue* text = gguf ? gguf->find("tokenizer.chat_template") : nullptr;
  if (name) {
    chat.family = *chat_family_named(*name);  // CLI11 checked the name
  } else if (text == nullptr) {
    return std::nullopt;
  } else {
    const std::string* value = text->value.as_string();
    if (value == nullptr) {
      fail_at(path, "metadata 'tokenizer.chat_template'", text->offset, "is not a string");
    }
    const std::optional<ChatFamily> family = detect_chat_family(*value);
    if (!family) {
      constexpr std::size_t kShown = 48;
      fail_at(path, "metadata 'tokenizer.chat_template'", text->offset,
              "unknown chat template \"" + value->substr(0, kShown) +
                  (value->size() > kShown ? "...\"" : "\"") +
                  "; name its family with --chat-template (" + chat_family_names() + ")");
    }
    chat.family = *family;
  }
  if (gguf) {
    if (const GgufKeyValue* kv = gguf->find("tokenizer.ggml.add_bos_token")) {
      if (const bool* add = std::get_if<bool>(&kv->value.v)) chat.add_bos = *add;
    }
    if (const GgufKeyValue* kv = gguf->find("tokenizer.ggml.eot_token_id")) {
      if (const std::optional<std::uint64_t> id = kv->value.as_uint(); id && *id < (1u << 31)) {
        chat.stop_tokens.push_back(static_cast<int>(*id));
      }
    }
  }
  return chat;
}

void run(const RunOptions& o, Io io) {
  // llama2.c's parameter overrides.
  std::uint64_t seed = parse_seed(o.seed);
  if (seed == 0) seed = static_cast<unsigned int>(std::time(nullptr));
  const float temperature = o.temperature < 0.0f ? 0.0f : o.temperature;
  const float topp = (o.topp < 0.0f || o.topp > 1.0f) ? 0.9f : o.topp;

  const std::string path = model_or_default(o.model);
  if (o.chat_template && o.mode != "chat") {
    throw CLI::ValidationError("--chat-template", "applies to -m chat only");
  }
  const std::optional<TemplateChat> template_chat_mode =
      o.mode == "chat" ? chat_template_for(path, o.chat_template) : std::nullopt;
  const std::optional<kernels::KernelPath> kernel_path = kernel_path_named(o.kernels);
  const int threads = thread_count(o.threads);
  PlannedModelOptions options = o.memory.options(o.steps < 0 ? 0 : o.steps, threads, kernel_path);
  // llama2.c's chat samples at every prompt position: its batches keep every logit.
  const Logits logits = o.mode == "chat" && !template_chat_mode ? Logits::all : Logits::last;
  options.request.logits = logits;
  PlannedModel planned(path, options);
  const Model& model = planned.model();
  const int steps = planned.plan().positions;

  const Tokenizer tokenizer = load_tokenizer_for(model, o.tokenizer);
  SessionOptions session_options;
  session_options.threads = threads;
  session_options.path = kernel_path;
  session_options.sampling = {temperature, topp, seed};
  session_options.logits = logits;
  Session session(planned, session_options);
  Transformer& transformer = session.transformer();
  Sampler& sampler = session.sampler();

  GenerationStats stats;
  if (o.mode == "generate") {
    stats = generate(transformer, tokenizer, sampler, o.prompt.value_or(""), steps, io.out);
  } else if (template_chat_mode) {
    const NextToken next = [&sampler](std::span<float> l) { return sampler.sample(l); };
    stats = template_chat(transformer, tokenizer, next, *template_chat_mode, {o.prompt, o.system},
                          steps, io.in, io.out);
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
  std::vector<std::string> families;  // CLI11 lists them
  for (const ChatFamily f : chat_families()) families.emplace_back(chat_family_name(f));
  cmd->add_option("--chat-template", options->chat_template,
                  "Chat template family for -m chat, over the model's tokenizer.chat_template "
                  "(default: the GGUF template's family, else llama2.c's chat)")
      ->check(CLI::IsMember(families));
  add_threads_option(*cmd, options->threads);
  add_kernels_option(*cmd, options->kernels);
  options->memory.add_to(*cmd);
  cmd->callback([options, io] { run(*options, io); });
}

}  // namespace shoehorn::cli
