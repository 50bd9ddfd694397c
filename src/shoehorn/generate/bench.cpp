#include "shoehorn/generate/bench.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "shoehorn/io/error.hpp"
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

std::uint64_t weight_bytes_per_token(const ModelFile& file) {
  std::uint64_t bytes = 0;
  for (const TensorInfo& t : file.tensors) {
    if (t.role != TensorRole::token_embedding || file.shared_classifier) bytes += t.bytes;
  }
  return bytes;
}

std::vector<double> read_bandwidth(ThreadPool& pool, std::size_t bytes, int runs) {
  // Words written first, so that every page is mapped before the timed reads.
  std::vector<std::uint64_t> words(bytes / sizeof(std::uint64_t));
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = i;
  const int tasks = pool.size();
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(tasks));
  auto task = [&](int t) {
    const std::size_t begin = words.size() * static_cast<std::size_t>(t) / static_cast<std::size_t>(tasks);
    const std::size_t end = words.size() * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(tasks);
    std::uint64_t sum = 0;
    for (std::size_t i = begin; i < end; ++i) sum += words[i];
    sums[static_cast<std::size_t>(t)] = sum;  // kept, so that the reads are not optimized away
  };
  std::vector<double> rates;
  for (int run = 0; run < runs; ++run) {
    const Clock::time_point start = Clock::now();
    pool.run(tasks, task);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::uint64_t total = 0;
    for (const std::uint64_t s : sums) total += s;
    const std::uint64_t n = words.size();
    if (total != n * (n - 1) / 2) throw Error("internal error: bandwidth sums differ");
    rates.push_back(seconds > 0 ? static_cast<double>(words.size() * sizeof(std::uint64_t)) / seconds : 0.0);
  }
  return rates;
}

int bench_positions(const Config& config, const BenchSettings& settings) {
  auto check = [&](const char* what, int tokens) {
    if (tokens < 1 || tokens > config.seq_len) {
      throw Error(std::string("bench: ") + what + " of " + std::to_string(tokens) +
                  " tokens: the model holds 1 to " + std::to_string(config.seq_len) + " positions");
    }
  };
  check("a prompt", settings.prompt_tokens);
  check("a decode", settings.decode_tokens);
  return std::max(settings.prompt_tokens, settings.decode_tokens);
}

BenchResult bench(Transformer& transformer, const BenchSettings& settings) {
  if (bench_positions(transformer.config(), settings) > transformer.max_positions()) {
    throw Error("internal error: bench needs more positions than the transformer holds");
  }
  BenchResult result;
  result.prompt_tokens = settings.prompt_tokens;
  result.decode_tokens = settings.decode_tokens;

  // Token ids past the three special ones, from a fixed seed.
  const int vocab = transformer.config().vocab_size;
  std::vector<int> prompt(static_cast<std::size_t>(result.prompt_tokens));
  Xorshift64Star rng(0x5eed);
  for (int& id : prompt) {
    id = vocab > 3 ? 3 + static_cast<int>(rng.next_u32() % static_cast<std::uint32_t>(vocab - 3)) : 0;
  }

  for (int run = 0; run < settings.runs; ++run) {
    const Instant start;
    transformer.prefill(prompt, 0);
    const Instant prefill_end;
    // tg: from an empty context, each position's greedy token the next one's input.
    int token = prompt[0];
    for (int pos = 0; pos < result.decode_tokens; ++pos) token = argmax(transformer.forward(token, pos));
    const Instant decode_end;
    result.prefill_tok_s.push_back(wall_rate(result.prompt_tokens, start, prefill_end));
    result.prefill_cpu_tok_s.push_back(cpu_rate(result.prompt_tokens, start, prefill_end));
    result.decode_tok_s.push_back(wall_rate(result.decode_tokens, prefill_end, decode_end));
    result.decode_cpu_tok_s.push_back(cpu_rate(result.decode_tokens, prefill_end, decode_end));
  }
  return result;
}

}  // namespace shoehorn
