#include "shoehorn/generate/bench.hpp"

#include <algorithm>
#include <chrono>

#include "shoehorn/sample/rng.hpp"
#include "shoehorn/sample/sampler.hpp"

namespace shoehorn {

namespace {

using Clock = std::chrono::steady_clock;

double per_second(int tokens, Clock::time_point start, Clock::time_point end) {
  const double seconds = std::chrono::duration<double>(end - start).count();
  return seconds > 0 ? tokens / seconds : 0.0;
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
    const auto start = Clock::now();
    std::span<float> logits;
    for (int pos = 0; pos < result.prompt_tokens; pos += transformer.lanes()) {
      const int count = std::min(transformer.lanes(), result.prompt_tokens - pos);
      logits = transformer.forward_chunk(
          std::span<const int>(prompt).subspan(static_cast<std::size_t>(pos), static_cast<std::size_t>(count)),
          pos);
    }
    const auto prefill_end = Clock::now();
    for (int pos = result.prompt_tokens; pos < positions; ++pos) {
      logits = transformer.forward(argmax(logits), pos);
    }
    const auto decode_end = Clock::now();
    result.prefill_tok_s.push_back(per_second(result.prompt_tokens, start, prefill_end));
    if (result.decode_tokens > 0) {
      result.decode_tok_s.push_back(per_second(result.decode_tokens, prefill_end, decode_end));
    }
  }
  return result;
}

}  // namespace shoehorn
