// shoehorn plan: what a memory budget keeps resident and streams for a model, and what that
// costs per token, on this host or a target.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <span>
#include <vector>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

namespace {

struct PlanOptions {
  std::string model;
  std::string target = "host";
  int positions = 256;
  MemoryFlags memory;
};

// The smallest budget with a cache smaller than the one the plan chose.
struct SmallerCache {
  KvCache kv;
  std::uint64_t minimum_budget;
};

void row(std::ostream& out, const char* item, std::uint64_t bytes) {
  char line[160];
  std::snprintf(line, sizeof line, "  %-44s %12llu  %10s\n", item,
                static_cast<unsigned long long>(bytes), format_bytes(bytes).c_str());
  out << line;
}

void print_plan(std::ostream& out, const ModelFile& file, const Target& target,
                const MemoryPlan& plan, const MediaSpeed& media,
                std::span<const SmallerCache> smaller) {
  std::uint64_t weights = 0;
  int matrices = 0, kept = 0;
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    weights += file.tensors[i].bytes;
    if (!is_matrix(file.tensors[i].role)) continue;
    ++matrices;
    kept += plan.resident[i] ? 1 : 0;
  }
  char line[400];
  std::snprintf(line, sizeof line,
                "%s: %s, %s of weights in %zu tensors\ntarget %.*s: %.*s\n"
                "budget: %s for %d positions (%s)\n",
                file.path.c_str(), file.format.c_str(), format_bytes(weights).c_str(),
                file.tensors.size(), static_cast<int>(target.name.size()), target.name.data(),
                static_cast<int>(target.note.size()), target.note.data(),
                plan.budget == 0 ? "none" : format_bytes(plan.budget).c_str(), plan.positions,
                plan.streams() ? "streaming" : "all resident");
  out << line;
  row(out, "process (code, libraries, stacks, vocabulary)", plan.process_bytes);
  std::snprintf(line, sizeof line, "activations (%d prompt token%s per pass)", plan.batch,
                plan.batch == 1 ? "" : "s");
  row(out, line, plan.activation_bytes);
  std::snprintf(line, sizeof line, "KV cache (%s)", to_string(plan.kv_cache));
  row(out, line, plan.kv_bytes);
  // The vectors always stay: norms, and the biases and RoPE factors of the models that have them.
  const std::string vectors = std::string("norms") + (file.config.qkv_bias ? ", biases" : "") +
                              (file.config.rope_freqs ? ", rope_freqs" : "");
  std::snprintf(line, sizeof line, "resident weights (%s, %d of %d matrices%s)", vectors.c_str(),
                kept, matrices, plan.resident[plan.embedding_tensor] ? ", embedding" : "");
  row(out, line, plan.resident_weight_bytes);
  std::snprintf(line, sizeof line, "stream buffers (%d x %s, embedding row)", plan.slots,
                format_bytes(plan.slot_bytes).c_str());
  row(out, line, plan.stream_buffer_bytes);
  row(out, "total", plan.total_bytes());
  row(out, "bytes read per token", plan.bytes_per_token(file));
  std::snprintf(line, sizeof line, "reads per token from a drive (a piece a read): %d\n",
                plan.reads_per_token());
  out << line;
  if (plan.streams() && media.read_bytes_per_s > 0) {
    std::snprintf(line, sizeof line,
                  "predicted at %.2f MiB/s, %.0f ms per seek: %.4f tok/s (I/O bound)\n",
                  media.read_bytes_per_s / (1 << 20), media.seek_seconds * 1000,
                  plan.io_bound_tok_s(file, media.read_bytes_per_s, media.seek_seconds));
    out << line;
  }
  std::snprintf(line, sizeof line, "smallest budget that runs it (KV cache %s)", to_string(plan.kv_cache));
  row(out, line, plan.minimum_budget);
  for (const SmallerCache& other : smaller) {
    std::snprintf(line, sizeof line, "smallest with a%s %s KV cache",
                  other.kv == KvCache::f16 ? "n" : "", to_string(other.kv));
    row(out, line, other.minimum_budget);
  }
}

void plan(const PlanOptions& o, const CLI::App& cmd, Io io) {
  const Target* target = &target_named(o.target);
  const FileSource source(model_or_default(o.model));
  const ModelFile file = read_model_file(source);

  PlannedModelOptions options = o.memory.options(o.positions);
  PlanRequest& request = options.request;
  if (request.positions <= 0 || request.positions > file.config.seq_len) {
    request.positions = file.config.seq_len;
  }
  if (cmd.count("--mem-budget") == 0) request.budget = target->memory_bytes;
  request.process_bytes = target->process_bytes != 0 ? target->process_bytes
                                                     : host_process_bytes(file);
  if (cmd.count("--read-speed") == 0 && target->read_bytes_per_s > 0) {
    options.media = {target->read_bytes_per_s, target->seek_seconds};
  }
  const MemoryPlan plan = plan_memory(file, request);
  // Where the plan chose the cache itself, the smaller caches it would take in smaller budgets.
  std::vector<SmallerCache> smaller;
  for (const KvCache kv : {KvCache::f16, KvCache::q8}) {
    if (request.kv_cache || kv <= plan.kv_cache) continue;
    PlanRequest other = request;
    other.budget = 0;
    other.kv_cache = kv;
    smaller.push_back({kv, plan_memory(file, other).minimum_budget});
  }
  print_plan(io.out, file, *target, plan, options.media, smaller);
}

}  // namespace

void add_plan(CLI::App& app, Io io) {
  auto options = std::make_shared<PlanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "What a memory budget keeps resident and streams, bytes read per token, tok/s");
  cmd->add_option("model", options->model, "Model file; default: the bundled model");
  add_target_option(*cmd, options->target, "Target: its memory, media speed and process size");
  cmd->add_option("-n", options->positions, "Positions the run needs (default 256; 0: all)")
      ->check(CLI::Range(0, 1 << 24));
  options->memory.add_to(*cmd);
  cmd->callback([options, cmd, io] { plan(*options, *cmd, io); });
}

}  // namespace shoehorn::cli
