// shoehorn bench: prefill and decode throughput of a model, medians of several runs.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/api/session.hpp"
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
  bool bandwidth = false;
  MemoryFlags memory;
};

void print_table(std::ostream& out, const std::string& path, int threads, kernels::KernelPath path_kind,
                 const BenchResult& r, std::uint64_t peak_rss) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s, %d thread%s, %s kernels, %d runs\n"
                "prefill: %8.1f tok/s (median; %d prompt tokens)\n"
                "decode:  %8.1f tok/s (median; %d tokens)\n"
                "peak RSS: %.1f MiB\n",
                path.c_str(), threads, threads == 1 ? "" : "s", kernels::to_string(path_kind),
                static_cast<int>(r.prefill_tok_s.size()), r.median_prefill(), r.prompt_tokens,
                r.median_decode(), r.decode_tokens, static_cast<double>(peak_rss) / (1 << 20));
  out << line;
}

// The memory read bandwidth and what it bounds decode to: the weights' bytes per token over it.
struct Bound {
  double bandwidth = 0;              // bytes/s, median
  std::uint64_t bytes_per_token = 0;
  double tok_s() const { return bytes_per_token > 0 ? bandwidth / static_cast<double>(bytes_per_token) : 0; }
};

// Beyond any cache here; a 32-bit process (2 GiB of address space under qemu) gets a quarter.
constexpr std::size_t kBandwidthBytes = std::size_t{1} << (sizeof(void*) >= 8 ? 30 : 28);

double measure_bandwidth(ThreadPool& pool, int runs) {
  return median(read_bandwidth(pool, kBandwidthBytes, runs));
}

void print_bandwidth(std::ostream& out, int threads, int runs, double bandwidth) {
  char line[160];
  std::snprintf(line, sizeof line, "memory read bandwidth: %.2f GB/s (median of %d runs, %d thread%s, %zu MiB)\n",
                bandwidth / 1e9, runs, threads, threads == 1 ? "" : "s", kBandwidthBytes >> 20);
  out << line;
}

void print_bound(std::ostream& out, const Bound& b, double decode_tok_s) {
  char line[256];
  std::snprintf(line, sizeof line,
                "decode bound: %.1f MiB of weights per token at %.2f GB/s: %.1f tok/s; decode at %.0f%% of it\n",
                static_cast<double>(b.bytes_per_token) / (1 << 20), b.bandwidth / 1e9, b.tok_s(),
                b.tok_s() > 0 ? 100 * decode_tok_s / b.tok_s() : 0.0);
  out << line;
}

void print_json(std::ostream& out, int threads, kernels::KernelPath path_kind, const BenchResult& r,
                std::uint64_t peak_rss, const Bound& bound) {
  char line[768];
  // New keys go after the first ones: scripts read this line.
  std::snprintf(line, sizeof line,
                "{\"threads\": %d, \"prompt_tokens\": %d, \"decode_tokens\": %d, "
                "\"prefill_tok_s\": %.3f, \"decode_tok_s\": %.3f, \"peak_rss_bytes\": %llu, "
                "\"kernels\": \"%s\", \"prefill_cpu_tok_s\": %.3f, \"decode_cpu_tok_s\": %.3f, "
                "\"weight_bytes_per_token\": %llu, \"bandwidth_bytes_s\": %.0f, \"decode_bound_tok_s\": %.3f}\n",
                threads, r.prompt_tokens, r.decode_tokens, r.median_prefill(), r.median_decode(),
                static_cast<unsigned long long>(peak_rss),
                kernels::to_string(path_kind), median(r.prefill_cpu_tok_s),
                median(r.decode_cpu_tok_s), static_cast<unsigned long long>(bound.bytes_per_token),
                bound.bandwidth, bound.tok_s());
  out << line;
}

void bench_model(const BenchOptions& o, Io io) {
  const std::optional<kernels::KernelPath> kernel_path = kernel_path_named(o.kernels);
  const std::string path = model_or_default(o.model);
  const int positions = bench_positions(read_model_file(FileSource(path)).config, o.settings);
  const int threads = thread_count(o.threads);
  PlannedModel planned(path, o.memory.options(positions, threads, kernel_path));
  const Model& model = planned.model();
  SessionOptions session_options;
  session_options.threads = threads;
  session_options.path = kernel_path;
  session_options.positions = positions;
  Session session(planned, session_options);
  const kernels::KernelPath path_kind = session.transformer().kernel_path();
  const BenchResult result = bench(session.transformer(), o.settings);
  const std::uint64_t peak_rss = peak_rss_bytes();
  std::ostream& table = o.json ? io.err : io.out;
  print_table(table, path, threads, path_kind, result, peak_rss);
  Bound bound;
  bound.bytes_per_token = weight_bytes_per_token(model.file);
  if (o.bandwidth) {
    // After the model's runs (peak RSS taken before its buffer), with the same threads.
    bound.bandwidth = measure_bandwidth(session.pool(), o.settings.runs);
    print_bandwidth(table, threads, o.settings.runs, bound.bandwidth);
    print_bound(table, bound, result.median_decode());
  }
  if (planned.plan().streams()) report_stream(io.err, planned, result.median_decode());
  if (o.json) print_json(io.out, threads, path_kind, result, peak_rss, bound);
  // The model's peak, taken before the bandwidth probe's buffer (which no budget covers).
  check_peak_rss(model.file.path, planned.plan().budget, peak_rss);
}

// bench --bandwidth without a model: the bandwidth alone.
void bench_bandwidth(const BenchOptions& o, Io io) {
  const int threads = thread_count(o.threads);
  ThreadPool pool(threads);
  const double bandwidth = measure_bandwidth(pool, o.settings.runs);
  print_bandwidth(o.json ? io.err : io.out, threads, o.settings.runs, bandwidth);
  if (o.json) {
    char line[128];
    std::snprintf(line, sizeof line, "{\"threads\": %d, \"bandwidth_bytes_s\": %.0f}\n", threads, bandwidth);
    io.out << line;
  }
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
  cmd->add_flag("--bandwidth", options->bandwidth,
                "Also measure memory read bandwidth (1 GiB; 256 MiB on 32-bit targets; the same threads) and decode's share of "
                "the bound it sets; with no model, the bandwidth alone");
  options->memory.add_to(*cmd);
  cmd->callback([options, io] {
    if (options->bandwidth && options->model.empty()) return bench_bandwidth(*options, io);
    bench_model(*options, io);
  });
}

}  // namespace shoehorn::cli
