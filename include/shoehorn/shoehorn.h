/* shoehorn.h: the engine as a library, for C and C++ programs.
 *
 * A model is opened through a reader the caller supplies (a file, flash, a CD drive, ARM
 * semihosting) and runs inside a memory block the caller supplies: the resident weights, the
 * stream buffers, the activations, the KV cache and the handles themselves are carved from it,
 * by a plan made from the block's size (what does not fit resident streams through the reader
 * while the model runs). Nothing is freed piecemeal: closing a handle ends it, and the block is
 * the caller's again once the model is closed.
 *
 * Every function returns a status; none throws. Where a call fails and `error` is not NULL, it
 * receives one line that names the file, the field and the offset where there is one.
 *
 *   shoehorn_memory_info info;
 *   shoehorn_plan(&model_reader, NULL, &params, &info, &error);   // how big a block to give
 *   shoehorn_open(&model_reader, NULL, &params, block, info.block_bytes, &model, &error);
 *   shoehorn_context_new(model, &context_params, &context, &error);
 *   shoehorn_generate(context, "Once upon a time", 256, on_token, user, &stats, &error);
 *   shoehorn_context_free(context);
 *   shoehorn_close(model);
 */
#ifndef SHOEHORN_SHOEHORN_H
#define SHOEHORN_SHOEHORN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHOEHORN_API_VERSION 1

typedef enum shoehorn_status {
  SHOEHORN_OK = 0,
  SHOEHORN_INVALID_ARGUMENT = 1, /* a NULL handle or pointer, a value out of range */
  SHOEHORN_READ_FAILED = 2,      /* the reader returned non-zero */
  SHOEHORN_BAD_FILE = 3,         /* the bytes are not a model or tokenizer shoehorn runs */
  SHOEHORN_NO_MEMORY = 4,        /* the block cannot hold what the model needs */
  SHOEHORN_UNSUPPORTED = 5,      /* e.g. a kernel path this build or CPU cannot run */
  SHOEHORN_BUFFER_TOO_SMALL = 6, /* an output array is too short: the count says how long */
  SHOEHORN_INTERNAL = 7          /* a bug in shoehorn */
} shoehorn_status;

/* The name of a status: "ok", "read failed", ... */
const char* shoehorn_status_name(shoehorn_status status);

typedef struct shoehorn_error {
  char message[256]; /* one line, NUL-terminated (cut to fit) */
} shoehorn_error;

/* Where a file's bytes come from. read copies `bytes` bytes from `offset` into dst and returns
 * 0, or non-zero when it cannot (reads never go past size). With more than one thread a
 * context may call it from several threads at once. `name` (may be NULL) names the file in
 * error messages. */
typedef struct shoehorn_reader {
  void* context;
  uint64_t size;
  const char* name;
  int (*read)(void* context, uint64_t offset, size_t bytes, void* dst);
} shoehorn_reader;

typedef struct shoehorn_params {
  int positions;       /* positions a context runs (the KV cache's length); 0: the model's context */
  int batch;           /* prompt positions per forward pass; 0: shoehorn's default (32) */
  const char* kv_cache; /* "f32", "f16", "q8", or NULL: the most exact one the block holds */
  int prompt_bytes;     /* the longest prompt shoehorn_generate encodes, in bytes (it takes 256
                         * bytes of the block for each); 0: 1024 */
} shoehorn_params;

void shoehorn_default_params(shoehorn_params* params);

typedef struct shoehorn_memory_info {
  uint64_t block_bytes;          /* the block shoehorn_open needs for this plan */
  uint64_t minimum_block_bytes;  /* the smallest block that runs the model (streaming the most) */
  uint64_t resident_weight_bytes;
  uint64_t stream_buffer_bytes;
  uint64_t activation_bytes;
  uint64_t kv_cache_bytes;
  uint64_t streamed_bytes_per_token; /* 0 when every weight is resident */
  int positions;
  int batch;
  int streams; /* 1 when some weights stream through the reader while the model runs */
} shoehorn_memory_info;

/* Plans a model for a block of block_bytes (0: as large as everything resident needs) without
 * loading it: info says what the plan keeps, streams, and needs. */
shoehorn_status shoehorn_plan(const shoehorn_reader* model, uint64_t block_bytes,
                              const shoehorn_params* params, shoehorn_memory_info* info,
                              shoehorn_error* error);

typedef struct shoehorn_model shoehorn_model;
typedef struct shoehorn_context shoehorn_context;

/* Opens a model (llama2.c checkpoint, GGUF or pack) inside block (any alignment; it must stay
 * valid and untouched until shoehorn_close). tokenizer: a llama2.c tokenizer.bin or a GGUF with
 * a vocabulary, or NULL for the model's own (a GGUF's), read while opening. The model's reader
 * must outlive the model: weights that do not fit the block stream through it.
 *
 * The block holds the handles, every large buffer and the room where generate encodes its
 * prompt. The tokenizer's tables, the tensor table and the plan are still allocations on the
 * heap while opening; once the model is open, forward, sample and generate allocate nothing
 * (generate's prompt: with a SentencePiece vocabulary; a byte-level BPE one's pre-tokenizer
 * still takes heap memory). */
shoehorn_status shoehorn_open(const shoehorn_reader* model, const shoehorn_reader* tokenizer,
                              const shoehorn_params* params, void* block, size_t block_bytes,
                              shoehorn_model** out, shoehorn_error* error);

/* Ends a model (its context first). NULL is allowed. */
void shoehorn_close(shoehorn_model* model);

typedef struct shoehorn_model_info {
  int dim;
  int hidden_dim;
  int n_layers;
  int n_heads;
  int n_kv_heads;
  int vocab_size;
  int seq_len;
  int bos_token;
  int eos_token;
  uint64_t block_bytes_used;
} shoehorn_model_info;

shoehorn_status shoehorn_model_get_info(const shoehorn_model* model, shoehorn_model_info* info);

/* Text to token ids. add_bos: a BOS first. count receives how many ids the text is; when it
 * is more than capacity, nothing is written and the status is SHOEHORN_BUFFER_TOO_SMALL. */
shoehorn_status shoehorn_tokenize(const shoehorn_model* model, const char* text, size_t length,
                                  int add_bos, int32_t* tokens, size_t capacity, size_t* count,
                                  shoehorn_error* error);

/* The text token adds after prev (-1 when it comes first), as llama2.c decodes it. The text
 * stays valid while the model is open; it is not NUL-terminated, and never NULL. */
shoehorn_status shoehorn_detokenize(const shoehorn_model* model, int32_t prev, int32_t token,
                                    const char** text, size_t* length, shoehorn_error* error);

typedef struct shoehorn_context_params {
  int threads;         /* threads of the forward pass; 0 or 1: the caller's alone (a build
                        * without threads, as on a bare machine, refuses more) */
  const char* kernels; /* "scalar", "avx2", "avx512", "amx", "neon", "neon-dot", "vmx", or NULL:
                        * the fastest this CPU runs. Each context keeps its own (contexts on
                        * several threads may differ); every path gives the same bits. */
  float temperature;   /* 0: greedy */
  float topp;          /* nucleus sampling; 1: off */
  uint64_t seed;       /* llama2.c's xorshift seed */
} shoehorn_context_params;

void shoehorn_default_context_params(shoehorn_context_params* params);

/* A context over the model (its activations and KV cache from the model's block): one at a
 * time per model. */
shoehorn_status shoehorn_context_new(shoehorn_model* model, const shoehorn_context_params* params,
                                     shoehorn_context** out, shoehorn_error* error);
void shoehorn_context_free(shoehorn_context* context);

/* Runs token at position pos (0 <= pos < positions); logits (vocab_size floats) stay valid
 * until the next call on this context. */
shoehorn_status shoehorn_forward(shoehorn_context* context, int32_t token, int pos,
                                 float** logits, shoehorn_error* error);

/* Picks the next token from logits (those of shoehorn_forward; they are changed in place) with
 * the context's temperature, top-p and random state. */
shoehorn_status shoehorn_sample(shoehorn_context* context, float* logits, int32_t* token,
                                shoehorn_error* error);

/* Receives each token generation shows (the prompt's, then each sampled one) and the text it
 * adds (never NULL; length may be 0); returns 0 to go on, non-zero to stop there. */
typedef int (*shoehorn_token_fn)(void* user, int32_t token, const char* text, size_t length);

typedef struct shoehorn_generation_stats {
  int prompt_tokens;
  int positions;
  double tokens_per_second; /* llama2.c's achieved tok/s */
} shoehorn_generation_stats;

/* llama2.c's generate: the prompt (after a BOS) forced, then tokens sampled until a BOS, steps
 * positions (at most the plan's; 0: the plan's), or the callback says stop. The same tokens as
 * `shoehorn run -n steps -i prompt` with the same seed. stats may be NULL. */
shoehorn_status shoehorn_generate(shoehorn_context* context, const char* prompt, int steps,
                                  shoehorn_token_fn on_token, void* user,
                                  shoehorn_generation_stats* stats, shoehorn_error* error);

#ifdef __cplusplus
}
#endif

#endif /* SHOEHORN_SHOEHORN_H */
