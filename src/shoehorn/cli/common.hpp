// Helpers shared by subcommands: locating the default model and the tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace CLI {
class App;
class Option;
}

namespace shoehorn::cli {

// The project's bundled model, used when a subcommand gets no MODEL.
std::string default_model_path();
// The model a subcommand takes: its MODEL argument, or when there is none the bundled model
// (an error in a build without one). Every subcommand that takes a model calls it.
std::string model_or_default(const std::string& model);

// A vocabulary file: a llama2.c tokenizer.bin, or any GGUF with tokenizer.ggml.* keys.
Vocab read_vocab_file(const std::string& path);

// The vocabulary for a model: -z when given, else the model's own (a GGUF's tokenizer keys),
// else tokenizer.bin beside the model, else ./tokenizer.bin (llama2.c's default); nothing
// when there is none.
std::optional<Vocab> find_vocab(const ModelFile& file, const std::optional<std::string>& path);

// The tokenizer for a model (find_vocab, which must find one), cut to its vocabulary size.
Tokenizer load_tokenizer_for(const Model& model, const std::optional<std::string>& path);

// llama2.c reads -s with atoi into an unsigned long long: negative seeds wrap around.
std::uint64_t parse_seed(const std::string& text);

// "512", "64K", "32M", "2G" (powers of 1024) -> bytes.
std::uint64_t parse_size(const std::string& text);

// "3.6M", "150K", "1000" (bytes per second; K/M/G are powers of 1024) -> bytes per second.
double parse_rate(const std::string& text);

// --mem-budget, --read-speed, --seek-ms, --chunk, --keep-page-cache, --kv-cache: how run, bench
// and eval fit a model into memory and where its weights come from.
struct MemoryFlags {
  std::string budget;      // "": no cap
  std::string read_speed;  // "": as fast as the file reads
  double seek_ms = 0;
  int chunk = kPrefillBatch;  // the plan's batch: prompt positions per forward pass
  bool keep_page_cache = false;
  std::string kv_cache;  // "": the plan's choice

  void add_to(CLI::App& cmd);
  // Lays Q8_0 and Q4_0 rows out for the kernel path the session will run (none: the
  // process's); threads: those of the forward pass, which read streamed rows side by side.
  PlannedModelOptions options(int positions, int threads = 1,
                              std::optional<kernels::KernelPath> path = std::nullopt) const;
};

// One stderr line for a streamed run: bytes per token, bytes read and reads of matrix rows in
// all, and with --read-speed the I/O bound beside the achieved decode speed.
void report_stream(std::ostream& err, const PlannedModel& model, double achieved_tok_s);

// --target NAME, one of the target profiles (memory_plan.hpp).
CLI::Option* add_target_option(CLI::App& cmd, std::string& target, const std::string& help);
const Target& target_named(const std::string& name);

// Fails when the process's peak RSS went over the budget (0: none).
void check_peak_rss(const PlannedModel& model);
void check_peak_rss(const std::string& path, std::uint64_t budget, std::uint64_t peak);

// Undoes \n, \t, \\ and \xHH escapes in a flag's value.
std::string unescape(const std::string& text);

// A whole file as text, refusing files over max_bytes.
std::string read_text_file(const std::string& path, std::uint64_t max_bytes);

// --threads N: 0 (the default) means every hardware thread.
void add_threads_option(CLI::App& cmd, int& threads);
int thread_count(int requested);

// --kernels scalar|avx2|avx512: which kernel path the command computes with (default: the
// fastest this CPU runs). Every path gives the same bits; forcing one measures the others.
void add_kernels_option(CLI::App& cmd, std::string& kernels);

// The path --kernels names (none for ""); one this build or CPU cannot run is an error (exit
// status 1).
std::optional<kernels::KernelPath> kernel_path_named(const std::string& name);

// The file type a --quant name means (llama-quantize's names: "q4_0", "Q4_K_M"), when
// shoehorn writes its base type.
std::optional<FileType> writable_file_type(const std::string& name);
// Every such name, lower case: "f32, f16, ...".
std::string written_file_types();

// How subcommands that write models write them: GGUF (--quant, --alignment) or a llama2.c
// checkpoint (--llama2c-version, --group-size), chosen by --format or by the output's name
// (*.gguf is GGUF); --big-endian for both.
struct ModelOutputFlags {
  std::string format;  // "gguf", "llama2c", or "" (from the output's name)
  std::string quant;  // a file type name, or "": each tensor as it is
  bool pure = false;  // --pure: every matrix in the file type's base type
  std::uint32_t alignment = 32;
  int llama2c_version = 0;
  int group_size = 64;
  bool big_endian = false;

  void add_to(CLI::App& cmd);
  // Throws CLI::ValidationError (a usage error) for flags of the other format.
  bool writes_gguf(const CLI::App& cmd, const std::string& output) const;
  // --quant's file type, or nothing (keep each tensor's).
  std::optional<FileType> requested_quant() const;
  GgufWriteOptions gguf_options() const;  // --quant, or F32
  Llama2cWriteOptions llama2c_options() const;
};

}  // namespace shoehorn::cli
