#include "shoehorn/generate/bench.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "shoehorn/sample/rng.hpp"
#include "shoehorn/sample/sampler.hpp"

namespace shoehorn {

namespace {

using Clock = std::chrono::steady_clock;

// Wall and processor time together.
struct Instant {
  Clock::time_point wall = Clock::now();
  std::clock_t cpu = std::clock();
};

double per_second(int tokens, double seconds) { return seconds > 0 ? tokens / seconds : 0.0; }

double wall_rate(int tokens, const Instant& start, const Instant& end) {
  return per_second(tokens, std::chrono::duration<double>(end.wall - start.wall).count());
}

double cpu_rate(int tokens, const Instant& start, const Instant& end) {
  return per_second(tokens, static_cast<double>(end.cpu - start.cpu) / CLOCKS_PER_SEC);
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double BenchResult::median_prefill() const { return median(prefill_tok_s); }
double BenchResult::median_decode() const { return median(decode_tok_s); }

int bench_positions(const Config& config, const BenchSettings& settings) {
  return std::clamp(settings.prompt_tokens + settings.decode_tokens, 1, config.seq_len);
}

BenchResult bench(Transformer& transformer, const BenchSettings& settings) {
  const int positions = std::min(bench_positions(transformer.config(), settings),
                                 transformer.max_positions());
  BenchResult result;
  result.prompt_tokens = std::clamp(settings.prompt_tokens, 1, positions);
  result.decode_tokens = positions - result.prompt_tokens;

  // Token ids past the three special ones, from a fixed seed.
  const int vocab = transformer.config().vocab_size;
  std::vector<int> prompt(static_cast<std::size_t>(result.prompt_tokens));
  Xorshift64Star rng(0x5eed);
  for (int& id : prompt) {
    id = vocab > 3 ? 3 + static_cast<int>(rng.next_u32() % static_cast<std::uint32_t>(vocab - 3)) : 0;
  }

  for (int run = 0; run < settings.runs; ++run) {
    const Instant start;
    std::span<float> logits = transformer.prefill(prompt, 0);
    const Instant prefill_end;
    for (int pos = result.prompt_tokens; pos < positions; ++pos) {
      logits = transformer.forward(argmax(logits), pos);
    }
    const Instant decode_end;
    result.prefill_tok_s.push_back(wall_rate(result.prompt_tokens, start, prefill_end));
    result.prefill_cpu_tok_s.push_back(cpu_rate(result.prompt_tokens, start, prefill_end));
    if (result.decode_tokens > 0) {
      result.decode_tok_s.push_back(wall_rate(result.decode_tokens, prefill_end, decode_end));
      result.decode_cpu_tok_s.push_back(cpu_rate(result.decode_tokens, prefill_end, decode_end));
    }
  }
  return result;
}

}  // namespace shoehorn
