#include "shoehorn/cli/common.hpp"

#include "shoehorn/api/session.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <limits>
#include <ostream>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/memory/rss.hpp"

#ifndef SHOEHORN_MODELS_DIR
#define SHOEHORN_MODELS_DIR "models"
#endif

namespace shoehorn::cli {

std::string default_model_path() {
  return std::string(SHOEHORN_MODELS_DIR) + "/shoehorn-default.gguf";
}

std::string model_or_default(const std::string& model) {
  if (!model.empty()) return model;
  const std::string path = default_model_path();
  if (!std::filesystem::exists(path)) fail(path, "no bundled default model in this build: pass a MODEL file");
  return path;
}

Vocab read_vocab_file(const std::string& path) { return read_vocab(FileSource(path)); }

std::optional<Vocab> find_vocab(const ModelFile& file, const std::optional<std::string>& path) {
  if (path) return read_vocab_file(*path);
  std::error_code ec;
  if (std::filesystem::is_regular_file(file.path, ec)) {
    if (std::optional<Vocab> own = own_vocab(FileSource(file.path))) return own;
  }
  const std::filesystem::path beside =
      std::filesystem::path(file.path).parent_path() / "tokenizer.bin";
  if (std::filesystem::is_regular_file(beside, ec)) return read_vocab_file(beside.string());
  if (std::filesystem::is_regular_file("tokenizer.bin", ec)) return read_vocab_file("tokenizer.bin");
  return std::nullopt;
}

Tokenizer load_tokenizer_for(const Model& model, const std::optional<std::string>& path) {
  std::optional<Vocab> vocab = find_vocab(model.file, path);
  if (!vocab) {
    fail(model.file.path, "no tokenizer given (-z), none in the model, and no tokenizer.bin "
                          "beside the model or in the current directory");
  }
  return tokenizer_for(model, std::move(*vocab), path.value_or(model.file.path));
}

std::uint64_t parse_seed(const std::string& text) {
  std::int64_t signed_value = 0;
  const char* end = text.data() + text.size();
  if (auto r = std::from_chars(text.data(), end, signed_value); r.ec == std::errc() && r.ptr == end) {
    return static_cast<std::uint64_t>(signed_value);
  }
  std::uint64_t value = 0;
  if (auto r = std::from_chars(text.data(), end, value); r.ec == std::errc() && r.ptr == end) {
    return value;
  }
  throw Error("-s: '" + text + "' is not an integer seed");
}

std::uint64_t parse_size(const std::string& text) {
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto r = std::from_chars(begin, end, value);
  if (r.ec != std::errc() || r.ptr == begin) throw Error("size '" + text + "' is not a number");
  std::uint64_t unit = 1;
  const std::string suffix(r.ptr, end);
  if (suffix == "K" || suffix == "k" || suffix == "KiB") unit = 1ull << 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") unit = 1ull << 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") unit = 1ull << 30;
  else if (!suffix.empty() && suffix != "B") {
    throw Error("size '" + text + "' has an unknown suffix (use K, M or G)");
  }
  if (value > std::numeric_limits<std::uint64_t>::max() / unit) {
    throw Error("size '" + text + "' is too large");
  }
  return value * unit;
}

double parse_rate(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto r = std::from_chars(begin, end, value);
  if (r.ec != std::errc() || r.ptr == begin || !(value > 0)) {
    throw Error("rate '" + text + "' is not a positive number of bytes per second");
  }
  const std::string suffix(r.ptr, end);
  double unit = 1;
  if (suffix == "K" || suffix == "k") unit = 1 << 10;
  else if (suffix == "M" || suffix == "m") unit = 1 << 20;
  else if (suffix == "G" || suffix == "g") unit = 1 << 30;
  else if (!suffix.empty()) throw Error("rate '" + text + "' has an unknown suffix (use K, M or G)");
  return value * unit;
}

void MemoryFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--mem-budget", budget,
                 "Hard cap on the process's peak RSS (K/M/G); weights that do not fit stream "
                 "from the file");
  cmd.add_option("--read-speed", read_speed,
                 "Emulate slow media: bytes per second (K/M/G), e.g. 3.6M for a 24x CD-ROM");
  cmd.add_option("--seek-ms", seek_ms, "With --read-speed: milliseconds per seek (default 0)")
      ->check(CLI::Range(0.0, 10000.0));
  cmd.add_option("--chunk", chunk,
                 "Prompt tokens per forward pass, resident or streamed (default " +
                     std::to_string(kPrefillBatch) + ")")
      ->check(CLI::Range(1, 4096));
  cmd.add_flag("--keep-page-cache", keep_page_cache,
               "Leave streamed bytes in the page cache (default: drop them)");
  cmd.add_option("--kv-cache", kv_cache,
                 "KV cache: f32 (llama2.c's bits), f16 (half the bytes) or q8 (int8 with a "
                 "scale per position and head, about a quarter); default the first that fits "
                 "--mem-budget")
      ->check(CLI::IsMember({"f32", "f16", "q8"}));
}

PlannedModelOptions MemoryFlags::options(int positions, int threads,
                                         std::optional<kernels::KernelPath> path) const {
  PlannedModelOptions o;
  o.request.budget = budget.empty() ? 0 : parse_size(budget);
  o.request.positions = positions;
  o.request.batch = chunk;
  if (!read_speed.empty()) o.media = {parse_rate(read_speed), seek_ms / 1000.0};
  o.stream.drop_page_cache = !keep_page_cache;
  o.stream.readers = threads;
  if (!kv_cache.empty()) o.request.kv_cache = parse_kv_cache(kv_cache);
  o.layout = row_layout_for(path);
  return o;
}

void report_stream(std::ostream& err, const PlannedModel& model, double achieved_tok_s) {
  const MemoryPlan& plan = model.plan();
  const ModelFile& file = model.model().file;
  char line[320];
  std::snprintf(line, sizeof line,
                "streamed: %.2f MiB per token, %.1f MiB read in all (%llu reads of matrix rows)\n",
                static_cast<double>(plan.bytes_per_token(file)) / (1 << 20),
                static_cast<double>(model.bytes_read()) / (1 << 20),
                static_cast<unsigned long long>(model.reads()));
  err << line;
  const MediaSpeed& media = model.media();
  if (media.read_bytes_per_s > 0) {
    const double bound = plan.io_bound_tok_s(file, media.read_bytes_per_s, media.seek_seconds);
    std::snprintf(line, sizeof line, "I/O bound at %.2f MiB/s: %.3f tok/s; achieved %.3f tok/s (%.1f%%)\n",
                  media.read_bytes_per_s / (1 << 20), bound, achieved_tok_s,
                  bound > 0 ? 100.0 * achieved_tok_s / bound : 0.0);
    err << line;
  }
}

CLI::Option* add_target_option(CLI::App& cmd, std::string& target, const std::string& help) {
  std::vector<std::string> names;
  for (const Target& t : targets()) names.emplace_back(t.name);
  return cmd.add_option("--target", target, help)->check(CLI::IsMember(names));
}

const Target& target_named(const std::string& name) {
  const Target* target = find_target(name);
  if (target == nullptr) fail(name, "unknown target (see shoehorn plan --help)");
  return *target;
}

void check_peak_rss(const PlannedModel& model) {
  check_peak_rss(model.model().file.path, model.plan().budget, peak_rss_bytes());
}

void check_peak_rss(const std::string& path, std::uint64_t budget, std::uint64_t peak) {
  if (budget != 0 && peak > budget) {
    fail(path, "peak RSS " + format_bytes(peak) + " went over the memory budget " +
                   format_bytes(budget) + " by " + std::to_string(peak - budget) + " bytes");
  }
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'n') out += '\n';
    else if (c == 't') out += '\t';
    else if (c == '\\') out += '\\';
    else if (c == 'x' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      throw Error("'" + text + "': unknown escape \\" + std::string(1, c) + " (use \\n \\t \\\\ \\xHH)");
    }
  }
  return out;
}

std::string read_text_file(const std::string& path, std::uint64_t max_bytes) {
  const std::vector<std::byte> bytes = read_all(FileSource(path), max_bytes);
  std::string text(bytes.size(), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) text[i] = std::to_integer<char>(bytes[i]);
  return text;
}

void add_threads_option(CLI::App& cmd, int& threads) {
  cmd.add_option("--threads", threads, "Threads for the forward pass (default 0: every core)")
      ->check(CLI::Range(0, 1024));
}

int thread_count(int requested) {
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void add_kernels_option(CLI::App& cmd, std::string& kernels) {
  cmd.add_option("--kernels", kernels, "Kernel path: scalar, avx2, avx512, amx, neon, neon-dot or vmx (default: the fastest)")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512", "amx", "neon", "neon-dot", "vmx"}));
}

std::optional<kernels::KernelPath> kernel_path_named(const std::string& name) {
  if (name.empty()) return std::nullopt;
  const std::optional<kernels::KernelPath> path = kernels::parse_kernel_path(name);
  if (!path) throw Error("kernels " + name + ": not a kernel path");
  kernels::require_supported(*path);
  return path;
}

std::optional<FileType> writable_file_type(const std::string& name) {
  const std::optional<FileType> type = parse_file_type(name);
  if (!type || traits(type->base).quantize == nullptr) return std::nullopt;
  return type;
}

std::string written_file_types() {
  std::string names;
  for (const FileType& f : file_types()) {
    std::string name = f.name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (writable_file_type(name)) names += (names.empty() ? "" : ", ") + name;
  }
  return names;
}

void ModelOutputFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--format", format, "Output format: gguf or llama2c (default: gguf for *.gguf)")
      ->check(CLI::IsMember({"gguf", "llama2c"}));
  cmd.add_option("--quant", quant,
                 "GGUF file type, as llama-quantize names and mixes them: " +
                     written_file_types() +
                     " (q4_k = q4_k_m; norms stay f32). Default: each tensor as it is (F32 where "
                     "GGUF has no such type)")
      ->check([](const std::string& name) {
        return writable_file_type(name) ? std::string()
                                        : "not a file type shoehorn writes: " + written_file_types();
      });
  cmd.add_flag("--pure", pure,
               "Every matrix in --quant's base type, none of llama-quantize's per-tensor choices "
               "(rows that are not whole blocks stay f16)");
  cmd.add_option("--alignment", alignment, "GGUF data alignment in bytes (default 32)")
      ->check([](const std::string& text) {
        const unsigned long v = std::strtoul(text.c_str(), nullptr, 10);
        return v != 0 && v <= (1ul << 30) && (v & (v - 1)) == 0
                   ? std::string()
                   : std::string("must be a power of two up to 2^30");
      });
  cmd.add_option("--llama2c-version", llama2c_version,
                 "llama2.c checkpoint version: 0 (fp32), 1 (ak42 fp32), 2 (ak42 int8 groups)")
      ->check(CLI::Range(0, 2));
  cmd.add_option("--group-size", group_size,
                 "Version 2 group size, halved until it divides dim and hidden_dim (default 64)")
      ->check(CLI::Range(1, 1 << 16));
  cmd.add_flag("--big-endian", big_endian, "Write big-endian (as console ports did)");
}

bool ModelOutputFlags::writes_gguf(const CLI::App& cmd, const std::string& output) const {
  static const std::vector<std::string> kLlama2cOnly = {"--llama2c-version", "--group-size"};
  static const std::vector<std::string> kGgufOnly = {"--quant", "--pure", "--alignment", "-z"};
  const bool gguf = format.empty() ? output.ends_with(".gguf") : format == "gguf";
  for (const std::string& flag : gguf ? kLlama2cOnly : kGgufOnly) {
    if (cmd.count(flag) > 0) {
      throw CLI::ValidationError(flag + " does not apply to " +
                                 (gguf ? "GGUF" : "llama2.c") + " output (" + output + ")");
    }
  }
  return gguf;
}

std::optional<FileType> ModelOutputFlags::requested_quant() const {
  return quant.empty() ? std::nullopt : writable_file_type(quant);
}

GgufWriteOptions ModelOutputFlags::gguf_options() const {
  GgufWriteOptions o;
  o.file_type = requested_quant().value_or(all_f32());
  o.pure = pure;
  o.byte_order = big_endian ? ByteOrder::big : ByteOrder::little;
  o.alignment = alignment;
  return o;
}

Llama2cWriteOptions ModelOutputFlags::llama2c_options() const {
  return {static_cast<Llama2cVersion>(llama2c_version),
          big_endian ? ByteOrder::big : ByteOrder::little, group_size};
}

}  // namespace shoehorn::cli
