#include "shoehorn/model/memory_plan.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "shoehorn/io/error.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/tensor_rows.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

namespace {

constexpr std::uint64_t MiB = 1 << 20;

// Measured: `shoehorn run` of stories260K (512 tokens, as GGUF) peaks near this much RSS beyond its arenas
// (code, libstdc++, libsentencepiece, thread stacks, metadata); see docs/TARGETS.md.
constexpr std::uint64_t kHostBaseBytes = 7 * MiB;
// The vocabulary's strings and scores, held twice while a GGUF's metadata is read.
constexpr std::uint64_t kHostBytesPerToken = 160;
// A BPE merge: its two strings in the metadata and a node of the tokenizer's rank map (measured:
// SmolLM2's 48872 merges took 6.0 MB beyond the per-token figure).
constexpr std::uint64_t kHostBytesPerMerge = 160;

constexpr std::array kTargets = {
    Target{"host", ByteOrder::little, 0, 32, 0, 0, 0,
           "this machine: no memory limit unless --mem-budget, files at page-cache speed"},
    Target{"xbox360", ByteOrder::big, 512 * MiB, 128, 12.0e6, 0.1, 16 * MiB,
           "big-endian PowerPC, 512 MB shared with the GPU, 128-byte cache lines, 12x DVD"},
    Target{"ps2", ByteOrder::little, 32 * MiB, 2048, 3.6e6, 0.1, 2 * MiB,
           "little-endian MIPS R5900, 32 MB main RAM, 2048-byte CD sectors at 24x (3.6 MB/s; "
           "DVD 5.3 MB/s)"},
    Target{"esp32-s3", ByteOrder::little, 8 * MiB, 4096, 20.0e6, 0, MiB / 2,
           "little-endian Xtensa, 8 MB PSRAM, weights in QSPI flash (4 KiB sectors)"},
};

std::uint64_t aligned(std::uint64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// Bytes in an arena that holds the whole tensor.
std::uint64_t resident_bytes(const TensorInfo& t) { return aligned(rows_buffer_bytes(t, t.rows)); }

std::size_t find_tensor(const ModelFile& file, TensorRole role, int layer) {
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    if (file.tensors[i].role == role && file.tensors[i].layer == layer) return i;
  }
  if (role == TensorRole::classifier && file.shared_classifier) {
    return find_tensor(file, TensorRole::token_embedding, -1);
  }
  fail(file.path, "no tensor " + tensor_name(role, layer));
}

// The matrices in the order the forward pass asks for them.
struct Use {
  TensorRole role;
  int layer;
  std::size_t tensor;
};
std::vector<Use> forward_uses(const ModelFile& file) {
  std::vector<Use> uses;
  for (int l = 0; l < file.config.n_layers; ++l) {
    for (const TensorRole role : kLayerMatrixOrder) uses.push_back({role, l, find_tensor(file, role, l)});
  }
  uses.push_back({TensorRole::classifier, -1, find_tensor(file, TensorRole::classifier, -1)});
  return uses;
}

void add_steps(const Use& use, const TensorInfo& t, std::uint64_t slot, std::vector<StreamStep>& steps) {
  const int per = rows_fitting(t, slot);
  for (int first = 0; first < t.rows; first += per) {
    const int rows = std::min(per, t.rows - first);
    steps.push_back({use.tensor, use.role, use.layer, first, rows, first + rows == t.rows,
                     row_bytes(t, rows)});
  }
}

}  // namespace

std::span<const Target> targets() { return kTargets; }

const Target* find_target(std::string_view name) {
  for (const Target& t : kTargets) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::uint64_t host_process_bytes(const ModelFile& file) {
  return kHostBaseBytes + static_cast<std::uint64_t>(file.config.vocab_size) * kHostBytesPerToken +
         file.vocab_merges * kHostBytesPerMerge;
}

std::string format_bytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / MiB);
  return text;
}

std::uint64_t MemoryPlan::total_bytes() const {
  return process_bytes + activation_bytes + kv_bytes + resident_weight_bytes + stream_buffer_bytes;
}

std::uint64_t MemoryPlan::bytes_per_token(const ModelFile& file) const {
  std::uint64_t bytes = resident[embedding_tensor] ? 0 : row_bytes(file.tensors[embedding_tensor], 1);
  for (const StreamStep& s : steps) bytes += s.bytes;
  return bytes;
}

int MemoryPlan::reads_per_token() const {
  return static_cast<int>(steps.size()) + (resident[embedding_tensor] ? 0 : 1);
}

double MemoryPlan::io_bound_tok_s(const ModelFile& file, double read_speed,
                                  double seek_seconds) const {
  if (!streams() || read_speed <= 0) return 0;
  // A read seeks unless it continues where the previous one ended.
  int seeks = resident[embedding_tensor] ? 0 : 2;  // to the row and back
  std::uint64_t end = 0;
  for (const StreamStep& s : steps) {
    const TensorInfo& t = file.tensors[s.tensor];
    const std::uint64_t at = t.offset + row_bytes(t, s.first_row);
    if (at != end || t.type == WeightType::q8_group) ++seeks;
    end = at + s.bytes;
  }
  const double seconds = static_cast<double>(bytes_per_token(file)) / read_speed + seeks * seek_seconds;
  return 1.0 / seconds;
}

namespace {

// The plan with a given cache; a budget below its smallest is refused, or when `refuse` is false
// returned unfinished (minimum_budget set) for the caller to try another cache.
MemoryPlan plan_with_cache(const ModelFile& file, const PlanRequest& request, KvCache kv,
                           bool refuse) {
  MemoryPlan plan;
  plan.budget = request.budget;
  plan.positions = request.positions;
  plan.process_bytes = request.process_bytes;
  plan.kv_cache = kv;
  plan.kv_bytes =
      Transformer::bytes(Transformer::shape(file, request.positions, 1, Logits::last, kv)).kv_cache;
  plan.embedding_tensor = find_tensor(file, TensorRole::token_embedding, -1);
  plan.resident.assign(file.tensors.size(), true);

  std::uint64_t all_weights = 0, norms = 0, max_row = 0;
  for (const TensorInfo& t : file.tensors) {
    all_weights += resident_bytes(t);
    if (!is_matrix(t.role)) norms += resident_bytes(t);
    else max_row = std::max<std::uint64_t>(max_row, rows_buffer_bytes(t, 1));
  }
  const std::uint64_t min_slot = aligned(max_row);
  const std::uint64_t embedding_row = aligned(rows_buffer_bytes(file.tensors[plan.embedding_tensor], 1));
  auto activations = [&](int batch) {
    return Transformer::bytes(Transformer::shape(file, request.positions, batch, request.logits)).activations;
  };
  auto fixed = [&](int batch) {
    return plan.process_bytes + activations(batch) + plan.kv_bytes + norms + embedding_row;
  };
  plan.minimum_budget = fixed(1) + 2 * min_slot;

  // Everything fits, with the largest batch that does (down to one position): nothing streams.
  plan.resident_weight_bytes = all_weights;
  for (plan.batch = std::max(1, request.batch);; plan.batch /= 2) {
    plan.activation_bytes = activations(plan.batch);
    if (request.budget == 0 || plan.total_bytes() <= request.budget) return plan;
    if (plan.batch == 1) break;
  }

  if (request.budget < plan.minimum_budget) {
    if (!refuse) return plan;
    throw BudgetTooSmall(file.path + ": a memory budget of " + format_bytes(request.budget) +
                         " cannot run this model for " + std::to_string(request.positions) +
                         " positions: the smallest is " + format_bytes(plan.minimum_budget) + " (" +
                         std::to_string(plan.minimum_budget) + " bytes)");
  }
  // A smaller batch when its activations do not fit beside two minimal slots.
  plan.batch = std::max(1, request.batch);
  while (plan.batch > 1 && fixed(plan.batch) + 2 * min_slot > request.budget) plan.batch /= 2;
  plan.activation_bytes = activations(plan.batch);
  std::uint64_t room = request.budget - fixed(plan.batch);

  // Two slots (one computes while the other fills), as large as a read should be.
  const std::vector<Use> uses = forward_uses(file);
  std::uint64_t largest = 0;
  for (const Use& u : uses) largest = std::max(largest, resident_bytes(file.tensors[u.tensor]));
  std::uint64_t slot = std::max(min_slot, aligned(std::min(request.max_piece_bytes, largest)));
  if (2 * slot > room) slot = std::max(min_slot, room / 2 / kArenaAlignment * kArenaAlignment);
  room -= 2 * slot;

  // Then as many matrices resident as fit, in forward order: each saves its bytes every token.
  for (std::size_t i = 0; i < file.tensors.size(); ++i) plan.resident[i] = !is_matrix(file.tensors[i].role);
  plan.resident_weight_bytes = norms;
  for (const Use& u : uses) {
    const std::uint64_t bytes = resident_bytes(file.tensors[u.tensor]);
    if (plan.resident[u.tensor] || bytes > room) continue;
    plan.resident[u.tensor] = true;
    plan.resident_weight_bytes += bytes;
    room -= bytes;
  }
  const TensorInfo& embedding = file.tensors[plan.embedding_tensor];
  if (!plan.resident[plan.embedding_tensor] && resident_bytes(embedding) <= room) {
    plan.resident[plan.embedding_tensor] = true;
    plan.resident_weight_bytes += resident_bytes(embedding);
  }
  for (const Use& u : uses) {
    if (!plan.resident[u.tensor]) add_steps(u, file.tensors[u.tensor], slot, plan.steps);
  }
  if (!plan.steps.empty()) {
    plan.slots = 2;
    plan.slot_bytes = slot;
  }
  plan.stream_buffer_bytes = static_cast<std::uint64_t>(plan.slots) * plan.slot_bytes +
                             (plan.resident[plan.embedding_tensor] ? 0 : embedding_row);
  return plan;
}

}  // namespace

MemoryPlan plan_memory(const ModelFile& file, const PlanRequest& request) {
  if (request.kv_cache) return plan_with_cache(file, request, *request.kv_cache, true);
  // The most exact cache the budget holds: F32, then F16, then Q8 (refused with Q8's smallest).
  for (const KvCache kv : {KvCache::f32, KvCache::f16}) {
    MemoryPlan plan = plan_with_cache(file, request, kv, false);
    if (request.budget == 0 || request.budget >= plan.minimum_budget) return plan;
  }
  return plan_with_cache(file, request, KvCache::q8, true);
}

}  // namespace shoehorn
