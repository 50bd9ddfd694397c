/* shoehorn on a bare machine: `shoehorn run`'s generation over the C interface, the model (and a
 * tokenizer) read from the host through semihosting as a console reads its CD, inside one block
 * of the board's RAM. The text goes to stdout alone; the memory figures to stderr.
 *   shoehorn-baremetal MODEL [-z TOKENIZER] [-t TEMP] [-p TOPP] [-s SEED] [-n STEPS] [-i PROMPT]
 *                      [--kernels PATH] [--kv-cache TYPE] [--chunk N] [--heap-reserve BYTES] */
#include <shoehorn/shoehorn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "semihosting.h"

typedef struct options {
  const char* model;
  const char* tokenizer;
  const char* prompt;
  const char* kernels;
  const char* kv_cache;
  float temperature, topp;
  unsigned long long seed;
  int steps, chunk;
  unsigned long heap_reserve; /* left to malloc for what opening the model allocates */
} options;

typedef struct host_file {
  int handle;
  const char* path;
} host_file;

static int read_host_file(void* context, uint64_t offset, size_t bytes, void* dst) {
  const host_file* file = context;
  if (offset > UINT32_MAX || bytes > UINT32_MAX - offset) return 1; /* 32-bit semihosting offsets */
  return semihosting_read_at(file->handle, (uint32_t)offset, dst, bytes);
}

static int open_host_file(const char* path, host_file* file, shoehorn_reader* reader) {
  file->handle = semihosting_open(path);
  file->path = path;
  const long length = file->handle < 0 ? -1 : semihosting_length(file->handle);
  if (length < 0) {
    fprintf(stderr, "shoehorn-baremetal: %s: cannot open it on the host\n", path);
    return 1;
  }
  reader->context = file;
  reader->size = (uint64_t)length;
  reader->name = path;
  reader->read = read_host_file;
  return 0;
}

/* A usage error: one line, exit status 2. */
static int usage(const char* why, const char* flag) {
  fprintf(stderr, "shoehorn-baremetal: usage error: %s%s%s (usage: shoehorn-baremetal MODEL "
                  "[-z TOKENIZER] [-t TEMP] [-p TOPP] [-s SEED] [-n STEPS] [-i PROMPT] "
                  "[--kernels PATH] [--kv-cache TYPE] [--chunk N] [--heap-reserve BYTES])\n",
          why, flag != NULL ? " " : "", flag != NULL ? flag : "");
  return 2;
}

/* run's flags, with run's defaults. */
static int parse_options(int argc, char** argv, options* o) {
  memset(o, 0, sizeof *o);
  o->temperature = 1.0f;
  o->topp = 0.9f;
  o->steps = 256;
  o->prompt = "";
  o->heap_reserve = 4ul << 20;
  for (int i = 1; i < argc; ++i) {
    const char* flag = argv[i];
    if (flag[0] != '-') {
      if (o->model != NULL) return usage("one model only, not also", flag);
      o->model = flag;
      continue;
    }
    if (i + 1 >= argc) return usage("no value after", flag);
    const char* value = argv[++i];
    char* end = NULL;
    if (strcmp(flag, "-z") == 0) o->tokenizer = value;
    else if (strcmp(flag, "-i") == 0) o->prompt = value;
    else if (strcmp(flag, "--kernels") == 0) o->kernels = value;
    else if (strcmp(flag, "--kv-cache") == 0) o->kv_cache = value;
    else if (strcmp(flag, "-t") == 0) o->temperature = strtof(value, &end);
    else if (strcmp(flag, "-p") == 0) o->topp = strtof(value, &end);
    else if (strcmp(flag, "-s") == 0) o->seed = strtoull(value, &end, 10);
    else if (strcmp(flag, "-n") == 0) o->steps = (int)strtol(value, &end, 10);
    else if (strcmp(flag, "--chunk") == 0) o->chunk = (int)strtol(value, &end, 10);
    else if (strcmp(flag, "--heap-reserve") == 0) o->heap_reserve = strtoul(value, &end, 10);
    else return usage("unknown flag", flag);
    if (end != NULL && (*end != '\0' || end == value)) return usage("not a number after", flag);
  }
  if (o->model == NULL) return usage("no model", NULL);
  if (o->steps < 0 || o->chunk < 0) return usage("-n and --chunk are at least 0", NULL);
  if (o->seed == 0) o->seed = (unsigned long long)time(NULL);
  return 0;
}

static int print_token(void* user, int32_t token, const char* text, size_t length) {
  (void)user;
  (void)token;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0;
}

static void print_memory(const shoehorn_memory_info* plan, size_t block_bytes, uint64_t block_used) {
  const board_memory m = board_memory_figures();
  const unsigned long total = (unsigned long)m.code_bytes + m.data_bytes + m.bss_bytes +
                              m.heap_high_water + m.stack_high_water;
  fprintf(stderr,
          "memory: code %lu + data %lu + bss %lu + heap %lu (high-water, the block %lu of it: "
          "%lu used) + stack %lu (high-water of %lu) = %lu of %lu bytes of RAM\n",
          (unsigned long)m.code_bytes, (unsigned long)m.data_bytes, (unsigned long)m.bss_bytes,
          (unsigned long)m.heap_high_water, (unsigned long)block_bytes, (unsigned long)block_used,
          (unsigned long)m.stack_high_water, (unsigned long)m.stack_bytes, total,
          (unsigned long)m.ram_bytes);
  fprintf(stderr,
          "plan: resident weights %lu, stream buffers %lu, activations %lu, KV cache %lu bytes; "
          "%lu bytes streamed per token\n",
          (unsigned long)plan->resident_weight_bytes, (unsigned long)plan->stream_buffer_bytes,
          (unsigned long)plan->activation_bytes, (unsigned long)plan->kv_cache_bytes,
          (unsigned long)plan->streamed_bytes_per_token);
}

/* The largest block the board can give after what opening the model will still allocate. */
static size_t block_size(const options* o, const shoehorn_memory_info* needed, shoehorn_error* error) {
  const size_t available = board_heap_free() > o->heap_reserve ? board_heap_free() - o->heap_reserve : 0;
  if (needed->block_bytes <= available) return (size_t)needed->block_bytes;
  if (needed->minimum_block_bytes > available) {
    snprintf(error->message, sizeof error->message,
             "%s: needs a block of at least %lu bytes; the board has %lu after the heap's reserve",
             o->model, (unsigned long)needed->minimum_block_bytes, (unsigned long)available);
    return 0;
  }
  return available;
}

static int generate(const options* o) {
  host_file model_file, tokenizer_file;
  shoehorn_reader model, tokenizer;
  if (open_host_file(o->model, &model_file, &model) != 0) return 1;
  if (o->tokenizer != NULL && open_host_file(o->tokenizer, &tokenizer_file, &tokenizer) != 0) return 1;
  shoehorn_params params;
  shoehorn_default_params(&params);
  params.batch = o->chunk;
  params.kv_cache = o->kv_cache;
  shoehorn_error error = {{0}};
  shoehorn_memory_info plan;
  shoehorn_status s = shoehorn_plan(&model, 0, &params, &plan, &error);
  /* llama2.c's rule: 0 or more than the context runs the whole context. */
  int steps = o->steps;
  if (s == SHOEHORN_OK && (steps == 0 || steps > plan.positions)) steps = plan.positions;
  if (s == SHOEHORN_OK && steps < plan.positions) {
    params.positions = steps;
    s = shoehorn_plan(&model, 0, &params, &plan, &error);
  }
  size_t block_bytes = 0;
  void* block = NULL;
  if (s == SHOEHORN_OK) {
    block_bytes = block_size(o, &plan, &error);
    block = block_bytes == 0 ? NULL : malloc(block_bytes);
    if (block == NULL) s = SHOEHORN_NO_MEMORY;
    if (block == NULL && error.message[0] == '\0') snprintf(error.message, sizeof error.message, "%s: no %lu bytes for the block", o->model, (unsigned long)block_bytes);
  }
  if (s == SHOEHORN_OK && block_bytes < plan.block_bytes) s = shoehorn_plan(&model, block_bytes, &params, &plan, &error);
  shoehorn_model* m = NULL;
  shoehorn_context* c = NULL;
  if (s == SHOEHORN_OK) s = shoehorn_open(&model, o->tokenizer != NULL ? &tokenizer : NULL, &params, block, block_bytes, &m, &error);
  shoehorn_context_params context_params;
  shoehorn_default_context_params(&context_params);
  context_params.kernels = o->kernels;
  context_params.temperature = o->temperature;
  context_params.topp = o->topp;
  context_params.seed = o->seed;
  if (s == SHOEHORN_OK) s = shoehorn_context_new(m, &context_params, &c, &error);
  shoehorn_generation_stats stats = {0, 0, 0.0};
  if (s == SHOEHORN_OK) s = shoehorn_generate(c, o->prompt, steps, print_token, NULL, &stats, &error);
  if (s == SHOEHORN_OK) {
    printf("\n");
    fflush(stdout);
    shoehorn_model_info info;
    shoehorn_model_get_info(m, &info);
    print_memory(&plan, block_bytes, info.block_bytes_used);
  } else {
    fprintf(stderr, "shoehorn-baremetal: %s\n", error.message[0] != '\0' ? error.message : shoehorn_status_name(s));
  }
  shoehorn_close(m);
  free(block);
  return s == SHOEHORN_OK ? 0 : 1;
}

int main(int argc, char** argv) {
  options o;
  const int parsed = parse_options(argc, argv, &o);
  if (parsed != 0) return parsed;
  return generate(&o);
}
