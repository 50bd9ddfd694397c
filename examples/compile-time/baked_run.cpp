// The baked stories260K at run time: `shoehorn run`'s generate mode with its flags and
// defaults (-t -p -s -n -i), and no model file, no tokenizer file, no heap. The weights are
// constexpr arrays in the executable; the KV cache and activations are one object in static
// storage.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string_view>

#include "stories260K.hpp"

namespace {

using Model = shoehorn::baked::stories260K;
constexpr int kMaxPromptBytes = 4096;
using Run = shoehorn::ctime::Generation<Model, Model::seq_len, kMaxPromptBytes>;

struct Flags {
  float temperature = 1.0f;
  float topp = 0.9f;
  std::uint64_t seed = 0;
  int steps = 256;
  std::string_view prompt;
};

int usage(const char* why) {
  std::fprintf(stderr,
               "baked_run: usage error: %s\n"
               "usage: baked_run [-t TEMP] [-p TOPP] [-s SEED] [-n STEPS] [-i PROMPT]\n",
               why);
  return 2;
}

template <class T>
bool parse(std::string_view text, T& value) {
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, value);
  return r.ec == std::errc() && r.ptr == end;
}

// llama2.c reads -s with atoi into an unsigned long long: negative seeds wrap around.
bool parse_seed(std::string_view text, std::uint64_t& seed) {
  std::int64_t signed_seed = 0;
  if (parse(text, signed_seed)) {
    seed = static_cast<std::uint64_t>(signed_seed);
    return true;
  }
  return parse(text, seed);
}

std::optional<Flags> parse_flags(int argc, char** argv, const char** why) {
  Flags f;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      *why = "a flag lacks its value";
      return std::nullopt;
    }
    const std::string_view value = argv[i + 1];
    bool ok = true;
    if (flag == "-t") {
      ok = parse(value, f.temperature);
    } else if (flag == "-p") {
      ok = parse(value, f.topp);
    } else if (flag == "-s") {
      ok = parse_seed(value, f.seed);
    } else if (flag == "-n") {
      ok = parse(value, f.steps);
    } else if (flag == "-i") {
      f.prompt = value;
    } else {
      *why = "unknown flag";
      return std::nullopt;
    }
    if (!ok) {
      *why = "a flag's value is not a number";
      return std::nullopt;
    }
  }
  return f;
}

// 700 KB of KV cache and activations: static storage, not the stack, and never the heap.
std::optional<Run> run;

}  // namespace

int main(int argc, char** argv) {
  const char* why = "";
  std::optional<Flags> flags = parse_flags(argc, argv, &why);
  if (!flags) return usage(why);
  Flags& f = *flags;
  if (!Run::fits(f.prompt)) {
    std::fprintf(stderr, "baked_run: error: the prompt is longer than %d bytes\n", kMaxPromptBytes);
    return 1;
  }
  // llama2.c's parameter overrides, as shoehorn run applies them.
  if (f.seed == 0) f.seed = static_cast<unsigned int>(std::time(nullptr));
  if (f.temperature < 0.0f) f.temperature = 0.0f;
  if (f.topp < 0.0f || f.topp > 1.0f) f.topp = 0.9f;
  if (f.steps <= 0 || f.steps > Model::seq_len) f.steps = Model::seq_len;

  run.emplace(f.prompt, shoehorn::SamplerSettings{f.temperature, f.topp, f.seed}, f.steps);
  const auto start = std::chrono::steady_clock::now();
  std::size_t printed = 0;
  while (!run->done()) {
    run->step();
    const std::string_view text = run->text();
    std::fwrite(text.data() + printed, 1, text.size() - printed, stdout);
    std::fflush(stdout);
    printed = text.size();
  }
  std::fputc('\n', stdout);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "achieved tok/s: %f (%d positions, no heap)\n",
               seconds > 0 ? run->positions() / seconds : 0.0, run->positions());
  return 0;
}
