// The C interface (include/shoehorn/shoehorn.h) over the library: handles placed in the
// caller's block, every exception caught at the boundary and turned into a status and a line.
#include <shoehorn/shoehorn.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <span>
#include <memory_resource>
#include <optional>
#include <string>

#include "shoehorn/api/session.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/planned_model.hpp"
#include "shoehorn/generate/generate.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/size.hpp"
#include "shoehorn/io/threads.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/memory/arena.hpp"

namespace {

using namespace shoehorn;

// A failure of the caller's reader, told apart from bad bytes.
class ReadFailed : public Error {
 public:
  using Error::Error;
};

// A failure with a status of its own (what the library's Error does not say).
class StatusError : public Error {
 public:
  StatusError(shoehorn_status code, const std::string& message) : Error(message), status(code) {}
  shoehorn_status status;
};

// The caller's reader as the library's ByteSource.
class ReaderSource final : public ByteSource {
 public:
  explicit ReaderSource(const shoehorn_reader& reader)
      : reader_(reader), name_(reader.name != nullptr ? reader.name : "(reader)") {}
  const std::string& name() const override { return name_; }
  std::uint64_t size() const override { return reader_.size; }
  void read(std::uint64_t offset, std::span<std::byte> dst) const override {
    if (offset > reader_.size || dst.size() > reader_.size - offset) {
      fail(name_, "read of " + std::to_string(dst.size()) + " bytes at offset " +
                      std::to_string(offset) + " past the end");
    }
    if (reader_.read(reader_.context, offset, dst.size(), dst.data()) != 0) {
      throw ReadFailed(one_line(name_) + ": the reader failed for " + std::to_string(dst.size()) +
                       " bytes at offset " + std::to_string(offset));
    }
  }

 private:
  shoehorn_reader reader_;
  std::string name_;
};

void set_error(shoehorn_error* error, const char* message) {
  if (error == nullptr) return;
  const std::size_t n = std::min(std::strlen(message), sizeof error->message - 1);
  std::memcpy(error->message, message, n);
  error->message[n] = '\0';
}

// Runs body; what it throws becomes a status and a line in error.
template <class Body>
shoehorn_status guarded(shoehorn_error* error, Body&& body) {
  try {
    body();
    set_error(error, "");
    return SHOEHORN_OK;
  } catch (const StatusError& e) {
    set_error(error, e.what());
    return e.status;
  } catch (const ReadFailed& e) {
    set_error(error, e.what());
    return SHOEHORN_READ_FAILED;
  } catch (const BlockExhausted& e) {
    set_error(error, e.what());
    return SHOEHORN_NO_MEMORY;
  } catch (const BudgetTooSmall& e) {
    set_error(error, e.what());
    return SHOEHORN_NO_MEMORY;
  } catch (const Error& e) {
    set_error(error, e.what());
    return SHOEHORN_BAD_FILE;
  } catch (const std::bad_alloc&) {
    set_error(error, "out of memory");
    return SHOEHORN_NO_MEMORY;
  } catch (const std::exception& e) {
    set_error(error, (std::string("internal error: ") + e.what()).c_str());
    return SHOEHORN_INTERNAL;
  } catch (...) {
    set_error(error, "internal error");
    return SHOEHORN_INTERNAL;
  }
}

void require(bool ok, const char* what) {
  if (!ok) throw StatusError(SHOEHORN_INVALID_ARGUMENT, what);
}

// Text for C: never a null pointer, even for no text (C's memcpy takes none).
const char* text_of(std::string_view text) { return text.empty() ? "" : text.data(); }

shoehorn_params params_or_default(const shoehorn_params* params) {
  shoehorn_params p;
  shoehorn_default_params(&p);
  return params != nullptr ? *params : p;
}

}  // namespace

// The handles: placed at the start of the caller's block, so the block is all they use.
struct shoehorn_context {
  shoehorn_context(shoehorn_model& model, const shoehorn_context_params& params,
                   std::optional<kernels::KernelPath> path);

  shoehorn_model& model;
  std::size_t block_mark;  // the model's block before this context took from it
  std::span<std::byte> prompt_scratch;  // where generate encodes its prompt
  Session session;
  Transformer& transformer;
  Sampler& sampler;
};

struct shoehorn_model {
  shoehorn_model(std::unique_ptr<ByteSource> model, const ByteSource* tokenizer,
                 PlannedModelOptions options, MemoryBlock block);

  MemoryBlock block;  // what follows the handles
  PlannedModel planned;
  Tokenizer tokenizer;
  std::byte* context_place;  // room for one context, taken from the block first
  std::size_t prompt_scratch_bytes = 0;  // each context's room for generate's prompt
  shoehorn_context* context = nullptr;
};

namespace {

// The bytes a block gives up before the plan: its start's alignment and the two handles.
constexpr std::uint64_t kHandleBytes = kArenaAlignment + align_up(sizeof(shoehorn_model), kArenaAlignment) +
                                       align_up(sizeof(shoehorn_context), kArenaAlignment);

// Encoding a SentencePiece prompt took 70 to 170 bytes of memory per byte of text (measured on
// tok512 and the Llama 2 vocabulary, 16 to 4096 bytes of text).
constexpr std::uint64_t kScratchPerPromptByte = 256;
constexpr int kDefaultPromptBytes = 1024;

std::uint64_t prompt_scratch_bytes(const shoehorn_params& p) {
  const int bytes = p.prompt_bytes > 0 ? p.prompt_bytes : kDefaultPromptBytes;
  const std::uint64_t raw = kScratchPerPromptByte * static_cast<std::uint64_t>(bytes) + 4096;
  return (raw + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

PlanRequest plan_request(const shoehorn_params& p, std::uint64_t block_bytes) {
  require(p.prompt_bytes >= 0, "prompt_bytes: below 0");
  PlanRequest request;
  request.budget = block_bytes;
  request.positions = p.positions;
  request.batch = p.batch > 0 ? p.batch : kPrefillBatch;
  request.process_bytes = kHandleBytes + prompt_scratch_bytes(p);
  if (p.kv_cache != nullptr) {
    request.kv_cache = parse_kv_cache(p.kv_cache);
    require(request.kv_cache.has_value(), "kv_cache: not one of f32, f16, q8");
  }
  require(p.positions >= 0, "positions: below 0");
  require(p.batch >= 0, "batch: below 0");
  return request;
}

PlannedModelOptions carved_from(PlannedModelOptions options, MemoryBlock& block) {
  options.memory = &block;
  return options;
}

Tokenizer open_tokenizer(const PlannedModel& planned, const ByteSource* tokenizer) {
  const Model& model = planned.model();
  if (tokenizer != nullptr) return tokenizer_for(model, read_vocab(*tokenizer), tokenizer->name());
  std::optional<Vocab> own = own_vocab(planned.source());
  if (!own) fail(planned.source().name(), "no tokenizer given and none in the model");
  return tokenizer_for(model, std::move(*own), planned.source().name());
}

}  // namespace

shoehorn_model::shoehorn_model(std::unique_ptr<ByteSource> model, const ByteSource* tokenizer_source,
                               PlannedModelOptions options, MemoryBlock rest)
    : block(rest),
      planned(std::move(model), carved_from(options, block)),
      tokenizer(open_tokenizer(planned, tokenizer_source)),
      context_place(nullptr) {}

namespace {

SessionOptions session_options(shoehorn_model& m, const shoehorn_context_params& params,
                               std::optional<kernels::KernelPath> path) {
  SessionOptions o;
  o.threads = params.threads;
  o.path = path;  // this context's own, whatever others run
  o.sampling = {params.temperature, params.topp, params.seed};
  o.memory = &m.block;
  return o;
}

}  // namespace

shoehorn_context::shoehorn_context(shoehorn_model& m, const shoehorn_context_params& params,
                                   std::optional<kernels::KernelPath> path)
    : model(m),
      block_mark(m.block.used()),
      prompt_scratch(m.block.take(m.prompt_scratch_bytes)),
      session(m.planned, session_options(m, params, path)),
      transformer(session.transformer()),
      sampler(session.sampler()) {}

extern "C" {

const char* shoehorn_status_name(shoehorn_status status) {
  switch (status) {
    case SHOEHORN_OK: return "ok";
    case SHOEHORN_INVALID_ARGUMENT: return "invalid argument";
    case SHOEHORN_READ_FAILED: return "read failed";
    case SHOEHORN_BAD_FILE: return "bad file";
    case SHOEHORN_NO_MEMORY: return "no memory";
    case SHOEHORN_UNSUPPORTED: return "unsupported";
    case SHOEHORN_BUFFER_TOO_SMALL: return "buffer too small";
    case SHOEHORN_INTERNAL: return "internal error";
  }
  return "unknown status";
}

void shoehorn_default_params(shoehorn_params* params) {
  if (params == nullptr) return;
  params->positions = 0;
  params->batch = 0;
  params->kv_cache = nullptr;
  params->prompt_bytes = 0;
}

void shoehorn_default_context_params(shoehorn_context_params* params) {
  if (params == nullptr) return;
  params->threads = 1;
  params->kernels = nullptr;
  params->temperature = 1.0f;
  params->topp = 0.9f;
  params->seed = 0;
}

shoehorn_status shoehorn_plan(const shoehorn_reader* model, std::uint64_t block_bytes,
                              const shoehorn_params* params, shoehorn_memory_info* info,
                              shoehorn_error* error) {
  return guarded(error, [&] {
    require(model != nullptr && model->read != nullptr && info != nullptr, "a NULL argument");
    const ReaderSource source(*model);
    const ModelFile file = read_model_file(source);
    const MemoryPlan plan = plan_for(file, plan_request(params_or_default(params), block_bytes));
    *info = {};
    info->block_bytes = plan.total_bytes();
    info->minimum_block_bytes = plan.minimum_budget;
    info->resident_weight_bytes = plan.resident_weight_bytes;
    info->stream_buffer_bytes = plan.stream_buffer_bytes;
    info->activation_bytes = plan.activation_bytes;
    info->kv_cache_bytes = plan.kv_bytes;
    info->streamed_bytes_per_token = plan.streams() ? plan.bytes_per_token(file) : 0;
    info->positions = plan.positions;
    info->batch = plan.batch;
    info->streams = plan.streams() ? 1 : 0;
  });
}

shoehorn_status shoehorn_open(const shoehorn_reader* model, const shoehorn_reader* tokenizer,
                              const shoehorn_params* params, void* block, size_t block_bytes,
                              shoehorn_model** out, shoehorn_error* error) {
  return guarded(error, [&] {
    require(out != nullptr, "out: NULL");
    *out = nullptr;
    require(model != nullptr && model->read != nullptr, "model: NULL reader");
    require(tokenizer == nullptr || tokenizer->read != nullptr, "tokenizer: a reader without read");
    require(block != nullptr, "block: NULL");
    MemoryBlock memory({static_cast<std::byte*>(block), block_bytes});
    std::byte* model_place = memory.take(sizeof(shoehorn_model)).data();
    std::byte* context_place = memory.take(sizeof(shoehorn_context)).data();

    PlannedModelOptions options;
    options.request = plan_request(params_or_default(params), block_bytes);
    // The process's path: contexts may pick others, which give the same bits on either layout.
    options.layout = row_layout_for(std::nullopt);
    auto source = std::make_unique<ReaderSource>(*model);
    std::optional<ReaderSource> tokenizer_source;
    if (tokenizer != nullptr) tokenizer_source.emplace(*tokenizer);
    shoehorn_model* m = ::new (model_place) shoehorn_model(
        std::move(source), tokenizer_source ? &*tokenizer_source : nullptr, options, memory);
    m->context_place = context_place;
    m->prompt_scratch_bytes = to_size(prompt_scratch_bytes(params_or_default(params)), "prompt scratch");
    *out = m;
  });
}

void shoehorn_close(shoehorn_model* model) {
  if (model == nullptr) return;
  shoehorn_context_free(model->context);
  model->~shoehorn_model();
}

shoehorn_status shoehorn_model_get_info(const shoehorn_model* model, shoehorn_model_info* info) {
  return guarded(nullptr, [&] {
    require(model != nullptr && info != nullptr, "a NULL argument");
    const Config& c = model->planned.model().config();
    *info = {};
    info->dim = c.dim;
    info->hidden_dim = c.hidden_dim;
    info->n_layers = c.n_layers;
    info->n_heads = c.n_heads;
    info->n_kv_heads = c.n_kv_heads;
    info->vocab_size = c.vocab_size;
    info->seq_len = c.seq_len;
    info->bos_token = model->tokenizer.vocab().bos_id();
    info->eos_token = model->tokenizer.vocab().eos_id();
    info->block_bytes_used = model->block.used();
  });
}

shoehorn_status shoehorn_tokenize(const shoehorn_model* model, const char* text, size_t length,
                                  int add_bos, int32_t* tokens, size_t capacity, size_t* count,
                                  shoehorn_error* error) {
  return guarded(error, [&] {
    require(model != nullptr && count != nullptr, "a NULL argument");
    require(text != nullptr || length == 0, "text: NULL");
    require(tokens != nullptr || capacity == 0, "tokens: NULL");
    const std::vector<int> ids =
        model->tokenizer.encode({text, length}, add_bos != 0, /*eos=*/false);
    *count = ids.size();
    if (ids.size() > capacity) {
      throw StatusError(SHOEHORN_BUFFER_TOO_SMALL, "tokens: room for " + std::to_string(capacity) +
                                                       ", the text is " + std::to_string(ids.size()));
    }
    std::copy(ids.begin(), ids.end(), tokens);
  });
}

shoehorn_status shoehorn_detokenize(const shoehorn_model* model, int32_t prev, int32_t token,
                                    const char** text, size_t* length, shoehorn_error* error) {
  return guarded(error, [&] {
    require(model != nullptr && text != nullptr && length != nullptr, "a NULL argument");
    const int size = model->tokenizer.vocab().size();
    require(token >= 0 && token < size, "token: outside the vocabulary");
    require(prev >= -1 && prev < size, "prev: outside the vocabulary");
    const std::string_view piece = model->tokenizer.decode(prev, token);
    *text = text_of(piece);
    *length = piece.size();
  });
}

shoehorn_status shoehorn_context_new(shoehorn_model* model, const shoehorn_context_params* params,
                                     shoehorn_context** out, shoehorn_error* error) {
  return guarded(error, [&] {
    require(out != nullptr, "out: NULL");
    *out = nullptr;
    require(model != nullptr, "model: NULL");
    if (model->context != nullptr) {
      throw StatusError(SHOEHORN_INVALID_ARGUMENT, "the model has a context already (one at a time)");
    }
    shoehorn_context_params p;
    shoehorn_default_context_params(&p);
    if (params != nullptr) p = *params;
    require(p.threads >= 0, "threads: below 0");
    if (p.threads > 1 && !kHaveThreads) {
      throw StatusError(SHOEHORN_UNSUPPORTED, "threads: this build has none (a bare machine); 0 or 1");
    }
    std::optional<kernels::KernelPath> path;
    if (p.kernels != nullptr) {
      path = kernels::parse_kernel_path(p.kernels);
      require(path.has_value(), "kernels: not one of scalar, avx2, avx512, amx, neon, neon-dot, vmx");
      const std::vector<kernels::KernelPath> supported = kernels::supported_kernel_paths();
      if (std::find(supported.begin(), supported.end(), *path) == supported.end()) {
        throw StatusError(SHOEHORN_UNSUPPORTED,
                          std::string("kernels ") + p.kernels + " are not supported on this machine");
      }
    }
    const std::size_t used = model->block.used();
    try {
      model->context = ::new (model->context_place) shoehorn_context(*model, p, path);
    } catch (...) {
      model->block.rewind(used);  // what the failed context took is free again
      throw;
    }
    *out = model->context;
  });
}

void shoehorn_context_free(shoehorn_context* context) {
  if (context == nullptr) return;
  shoehorn_model& model = context->model;
  const std::size_t mark = context->block_mark;
  context->~shoehorn_context();
  model.block.rewind(mark);
  model.context = nullptr;
}

shoehorn_status shoehorn_forward(shoehorn_context* context, int32_t token, int pos, float** logits,
                                 shoehorn_error* error) {
  return guarded(error, [&] {
    require(context != nullptr && logits != nullptr, "a NULL argument");
    require(token >= 0 && token < context->transformer.config().vocab_size,
            "token: outside the vocabulary");
    require(pos >= 0 && pos < context->transformer.max_positions(), "pos: outside the plan's positions");
    *logits = context->transformer.forward(token, pos).data();
  });
}

shoehorn_status shoehorn_sample(shoehorn_context* context, float* logits, int32_t* token,
                                shoehorn_error* error) {
  return guarded(error, [&] {
    require(context != nullptr && logits != nullptr && token != nullptr, "a NULL argument");
    const auto vocab = static_cast<std::size_t>(context->transformer.config().vocab_size);
    *token = context->sampler.sample({logits, vocab});
  });
}

shoehorn_status shoehorn_generate(shoehorn_context* context, const char* prompt, int steps,
                                  shoehorn_token_fn on_token, void* user,
                                  shoehorn_generation_stats* stats, shoehorn_error* error) {
  return guarded(error, [&] {
    require(context != nullptr, "context: NULL");
    const int positions = context->transformer.max_positions();
    require(steps >= 0 && steps <= positions, "steps: outside 0..the plan's positions");
    const TokenSink sink = [on_token, user](int token, std::string_view text) {
      return on_token == nullptr || on_token(user, token, text_of(text), text.size()) == 0;
    };
    // The prompt's encoding in the context's scratch: nothing from the heap.
    std::pmr::monotonic_buffer_resource scratch(context->prompt_scratch.data(),
                                                context->prompt_scratch.size(),
                                                std::pmr::null_memory_resource());
    const std::string_view text = prompt != nullptr ? prompt : "";
    GenerationStats s;
    try {
      s = generate(context->transformer, context->model.tokenizer, context->sampler, text,
                   steps == 0 ? positions : steps, sink, &scratch);
    } catch (const std::bad_alloc&) {
      throw StatusError(SHOEHORN_NO_MEMORY,
                        "prompt: " + std::to_string(text.size()) + " bytes do not encode in the " +
                            std::to_string(context->prompt_scratch.size()) +
                            " bytes the context has for them (shoehorn_params.prompt_bytes)");
    }
    if (stats != nullptr) {
      stats->prompt_tokens = s.prompt_tokens;
      stats->positions = s.positions;
      stats->tokens_per_second = s.tokens_per_second();
    }
  });
}

}  // extern "C"
