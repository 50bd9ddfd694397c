// The memory plan: given a model, the positions a run needs and a budget for the whole
// process, what stays resident (norms, KV cache, which matrices), what streams from the file
// and in pieces of what size, what that costs per token, and the smallest budget that could
// run the model at all.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/model/transformer.hpp"

namespace shoehorn {

// A machine to fit a model into: what it gives the runtime and what it reads from.
struct Target {
  std::string_view name;
  ByteOrder byte_order;
  std::uint64_t memory_bytes;      // RAM for the whole runtime (0: no limit)
  std::uint32_t alignment;         // where a pack for it starts each tensor (sector, cache line)
  double read_bytes_per_s;         // its medium (0: as fast as this host reads files)
  double seek_seconds;             // per read that does not continue the previous one
  std::uint64_t process_bytes;     // code, libraries and stacks of the runtime there
  std::string_view note;
};

std::span<const Target> targets();
const Target* find_target(std::string_view name);  // nullptr when unknown

// What the process costs before any model memory: this build's code, libraries, stacks and
// heap (measured), plus the vocabulary's strings (and a BPE vocabulary's merges) of a model file.
std::uint64_t host_process_bytes(const ModelFile& file);

struct PlanRequest {
  std::uint64_t budget = 0;  // bytes for the whole process; 0: no cap (everything resident)
  int positions = 256;       // positions the run needs (the KV cache's length)
  int batch = kPrefillBatch;  // prompt positions per forward pass (fewer if they do not fit)
  std::uint64_t process_bytes = 0;
  std::uint64_t max_piece_bytes = 1 << 20;  // largest read into one stream buffer
  Logits logits = Logits::last;  // whether passes return every position's logits (eval)
  // What the KV cache holds; unset: F32 (llama2.c's bits) when the budget holds it, else F16,
  // else Q8.
  std::optional<KvCache> kv_cache;
};

// One read of the stream: rows [first_row, first_row + rows) of a tensor, in forward order.
struct StreamStep {
  std::size_t tensor = 0;  // index into ModelFile::tensors
  TensorRole role = TensorRole::wq;  // as the forward pass asks for it (classifier may be the embedding)
  int layer = -1;
  int first_row = 0;
  int rows = 0;
  bool last = true;
  std::uint64_t bytes = 0;
};

struct MemoryPlan {
  std::uint64_t budget = 0;
  int positions = 0;
  int batch = 1;
  std::uint64_t process_bytes = 0;
  std::uint64_t activation_bytes = 0;
  KvCache kv_cache = KvCache::f32;
  std::uint64_t kv_bytes = 0;
  std::uint64_t resident_weight_bytes = 0;  // norms and the matrices kept
  std::uint64_t stream_buffer_bytes = 0;    // slots + the embedding row
  std::uint64_t slot_bytes = 0;
  int slots = 0;
  std::vector<bool> resident;  // per ModelFile tensor
  std::size_t embedding_tensor = 0;
  std::vector<StreamStep> steps;  // one pass of the forward pass (a token or a prompt chunk)
  std::uint64_t minimum_budget = 0;

  bool streams() const { return !resident[embedding_tensor] || !steps.empty(); }
  std::uint64_t total_bytes() const;
  // Per decoded token: the streamed matrices and one embedding row.
  std::uint64_t bytes_per_token(const ModelFile& file) const;
  int reads_per_token() const;
  // Tokens per second when reading at read_speed (bytes/s), seek_seconds per read, and no
  // compute: what the medium allows. 0 when nothing streams or the speed is unknown.
  double io_bound_tok_s(const ModelFile& file, double read_speed, double seek_seconds) const;
};

// A budget too small for the model (an Error: bad input, told apart where it matters, as the C
// interface's SHOEHORN_NO_MEMORY).
class BudgetTooSmall : public Error {
 public:
  using Error::Error;
};

// Throws BudgetTooSmall naming the file when the budget cannot run the model, with the smallest
// one that could (with a Q8 cache unless the request fixes the cache).
MemoryPlan plan_memory(const ModelFile& file, const PlanRequest& request);

// "31.5 MiB"
std::string format_bytes(std::uint64_t bytes);

}  // namespace shoehorn
