// shoehorn bench: prefill and decode throughput of a model, medians of several runs.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/generate/bench.hpp"
#include "shoehorn/memory/rss.hpp"

namespace shoehorn::cli {

namespace {

struct BenchOptions {
  std::string model;
  int threads = 0;
  std::string kernels;
  BenchSettings settings;
  bool json = false;
  MemoryFlags memory;
};

void print_table(std::ostream& out, const std::string& path, int threads, const BenchResult& r,
                 std::uint64_t peak_rss) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s, %d thread%s, %s kernels, %d runs\n"
                "prefill: %8.1f tok/s (median; %d prompt tokens)\n"
                "decode:  %8.1f tok/s (median; %d tokens)\n"
                "peak RSS: %.1f MiB\n",
                path.c_str(), threads, threads == 1 ? "" : "s",
                kernels::to_string(kernels::kernel_path()),
                static_cast<int>(r.prefill_tok_s.size()), r.median_prefill(), r.prompt_tokens,
                r.median_decode(), r.decode_tokens, static_cast<double>(peak_rss) / (1 << 20));
  out << line;
}

void print_json(std::ostream& out, int threads, const BenchResult& r, std::uint64_t peak_rss) {
  char line[512];
  // New keys go after the first ones: scripts read this line.
  std::snprintf(line, sizeof line,
                "{\"threads\": %d, \"prompt_tokens\": %d, \"decode_tokens\": %d, "
                "\"prefill_tok_s\": %.3f, \"decode_tok_s\": %.3f, \"peak_rss_bytes\": %llu, "
                "\"kernels\": \"%s\", \"prefill_cpu_tok_s\": %.3f, \"decode_cpu_tok_s\": %.3f}\n",
                threads, r.prompt_tokens, r.decode_tokens, r.median_prefill(), r.median_decode(),
                static_cast<unsigned long long>(peak_rss),
                kernels::to_string(kernels::kernel_path()), median(r.prefill_cpu_tok_s),
                median(r.decode_cpu_tok_s));
  out << line;
}

void bench_model(const BenchOptions& o, Io io) {
  const KernelPathScope kernel_path(o.kernels);
  const std::string path = model_or_default(o.model);
  const int positions = bench_positions(read_model_file(FileSource(path)).config, o.settings);
  PlannedModel planned(path, o.memory.options(positions, thread_count(o.threads)));
  const Model& model = planned.model();
  const int threads = thread_count(o.threads);
  ThreadPool pool(threads);
  Transformer transformer(model, positions, &pool,
                          planned.plan().batch, &planned.weights(), Logits::last,
                          planned.plan().kv_cache);
  const BenchResult result = bench(transformer, o.settings);
  const std::uint64_t peak_rss = peak_rss_bytes();
  print_table(o.json ? io.err : io.out, path, threads, result, peak_rss);
  if (planned.plan().streams()) report_stream(io.err, planned, result.median_decode());
  if (o.json) print_json(io.out, threads, result, peak_rss);
  check_peak_rss(planned);
}

}  // namespace

void add_bench(CLI::App& app, Io io) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prefill and decode speed (medians)");
  cmd->add_option("model", options->model, "Model file; default: the bundled model");
  add_threads_option(*cmd, options->threads);
  add_kernels_option(*cmd, options->kernels);
  cmd->add_option("-n", options->settings.decode_tokens, "Tokens to decode per run from an empty context, as llama-bench's -n (default 128)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--prompt-tokens", options->settings.prompt_tokens,
                  "Prompt tokens to prefill per run, as llama-bench's -p (default 128)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--runs", options->settings.runs, "Runs; medians are reported (default 5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", options->json, "Last stdout line: one JSON object");
  options->memory.add_to(*cmd);
  cmd->callback([options, io] { bench_model(*options, io); });
}

}  // namespace shoehorn::cli
