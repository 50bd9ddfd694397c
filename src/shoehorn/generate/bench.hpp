// Throughput of the engine on one model: prefill (prompt positions) and decode (sampled
// positions) tokens per second, as medians over several runs of the same work.
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/model/transformer.hpp"

namespace shoehorn {

// llama-bench's two tests: pp (a prompt of prompt_tokens from an empty context, in the
// transformer's batches) and tg (decode_tokens positions one at a time, also from an empty
// context), each timed on its own.
struct BenchSettings {
  int prompt_tokens = 128;  // pp: forced positions timed as prefill
  int decode_tokens = 128;  // tg: greedy positions timed as decode
  int runs = 5;
};

struct BenchResult {
  int prompt_tokens = 0;
  int decode_tokens = 0;
  std::vector<double> prefill_tok_s;  // one per run
  std::vector<double> decode_tok_s;
  // Tokens per second of processor time (all threads' together): on a machine shared with
  // other work, what one thread would do unloaded is closer to this than to the wall clock.
  std::vector<double> prefill_cpu_tok_s;
  std::vector<double> decode_cpu_tok_s;

  double median_prefill() const;
  double median_decode() const;
};

// The positions a run needs: the longer of the two tests. Throws Error when the model cannot
// hold one of them (or either is not positive).
int bench_positions(const Config& config, const BenchSettings& settings);

// Runs settings.runs times: the prefill of a fixed pseudo-random prompt (the same on every
// host), then, from position 0 again, greedy decoding. transformer must hold bench_positions()
// positions.
BenchResult bench(Transformer& transformer, const BenchSettings& settings);

double median(std::vector<double> values);

// The bytes a decode step reads at least: every tensor once (the embedding table only where it
// is also the classifier: otherwise one row of it, left out), the cache not counted.
std::uint64_t weight_bytes_per_token(const ModelFile& file);

// Memory read bandwidth: `runs` times, the pool's threads each sum their share of a buffer of
// `bytes` (far larger than the caches) once; bytes per second of each run.
std::vector<double> read_bandwidth(ThreadPool& pool, std::size_t bytes, int runs);

}  // namespace shoehorn
