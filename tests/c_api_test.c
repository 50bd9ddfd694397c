/* The C interface from C: stories260K's four llama2.c reference generations byte for byte, with
 * every weight resident and again streamed through the reader from a block at the plan's
 * minimum; a manual forward/sample loop against generate; tokenize and detokenize; and each
 * kind of failure as its status and one line.
 *   c_api_test MODEL TOKENIZER REFERENCE_DIR */
#include <shoehorn/shoehorn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      fprintf(stderr, "%s:%d: failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                       \
      fprintf(stderr, "\n");                              \
      ++failures;                                         \
    }                                                     \
  } while (0)

/* A whole file in memory, read through a reader like any medium. */
typedef struct {
  unsigned char* bytes;
  size_t size;
  int fail_after; /* reads before the reader starts failing; -1: never */
} file_bytes;

static file_bytes load(const char* path) {
  file_bytes f = {NULL, 0, -1};
  FILE* in = fopen(path, "rb");
  if (in == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(in, 0, SEEK_END);
  f.size = (size_t)ftell(in);
  fseek(in, 0, SEEK_SET);
  f.bytes = malloc(f.size + 1);
  if (f.bytes == NULL || fread(f.bytes, 1, f.size, in) != f.size) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  f.bytes[f.size] = '\0';
  fclose(in);
  return f;
}

static int read_bytes(void* context, uint64_t offset, size_t bytes, void* dst) {
  file_bytes* f = context;
  if (f->fail_after == 0) return 1;
  if (f->fail_after > 0) --f->fail_after;
  memcpy(dst, f->bytes + offset, bytes);
  return 0;
}

static shoehorn_reader reader_of(file_bytes* f, const char* name) {
  shoehorn_reader r;
  r.context = f;
  r.size = f->size;
  r.name = name;
  r.read = read_bytes;
  return r;
}

/* What generation shows, gathered. */
typedef struct {
  char text[8192];
  size_t length;
  int32_t tokens[512];
  int count;
} output;

static int gather(void* user, int32_t token, const char* text, size_t length) {
  output* out = user;
  if (out->length + length < sizeof out->text) {
    memcpy(out->text + out->length, text, length);
    out->length += length;
  }
  if (out->count < 512) out->tokens[out->count++] = token;
  return 0;
}

typedef struct {
  const char* file;
  float temperature;
  float topp;
  int steps;
  uint64_t seed;
  const char* prompt;
} reference;

static const reference kReferences[] = {
    {"greedy-lily.txt", 0.0f, 0.9f, 120, 1, "Lily and Ben went to the"},
    {"sample-t1-p09-s42.txt", 1.0f, 0.9f, 256, 42, "Once upon a time"},
    {"sample-t08-p1-s7.txt", 0.8f, 1.0f, 200, 7, "The dog"},
    {"greedy-unicode.txt", 0.0f, 0.9f, 64, 1, "Tom said: \"\xc2\xa1Hola! \xf0\x9f\x99\x82 \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9\""},
};

/* Generates each reference from a model opened in a block of block_bytes (0: the plan's size
 * with every weight resident) and compares it with llama2.c's output. */
static void generate_references(file_bytes* model, file_bytes* tokenizer, const char* dir,
                                uint64_t block_bytes, int expect_streaming) {
  shoehorn_error error;
  shoehorn_reader model_reader = reader_of(model, "stories260K.bin");
  shoehorn_reader tokenizer_reader = reader_of(tokenizer, "tok512.bin");
  shoehorn_params params;
  shoehorn_default_params(&params);
  shoehorn_memory_info info;
  shoehorn_status s = shoehorn_plan(&model_reader, block_bytes, &params, &info, &error);
  CHECK(s == SHOEHORN_OK, "plan: %s", error.message);
  CHECK(info.streams == expect_streaming, "streams %d", info.streams);
  const size_t bytes = (size_t)info.block_bytes;
  void* block = malloc(bytes);
  shoehorn_model* m = NULL;
  s = shoehorn_open(&model_reader, &tokenizer_reader, &params, block, bytes, &m, &error);
  CHECK(s == SHOEHORN_OK, "open in %zu bytes: %s", bytes, error.message);
  if (s != SHOEHORN_OK) {
    free(block);
    return;
  }
  shoehorn_model_info mi;
  CHECK(shoehorn_model_get_info(m, &mi) == SHOEHORN_OK, "info");
  CHECK(mi.dim == 64 && mi.n_layers == 5 && mi.vocab_size == 512 && mi.seq_len == 512,
        "shape %d %d %d %d", mi.dim, mi.n_layers, mi.vocab_size, mi.seq_len);

  for (size_t i = 0; i < sizeof kReferences / sizeof kReferences[0]; ++i) {
    const reference* r = &kReferences[i];
    shoehorn_context_params cp;
    shoehorn_default_context_params(&cp);
    cp.temperature = r->temperature;
    cp.topp = r->topp;
    cp.seed = r->seed;
    shoehorn_context* c = NULL;
    s = shoehorn_context_new(m, &cp, &c, &error);
    CHECK(s == SHOEHORN_OK, "context: %s", error.message);
    if (s != SHOEHORN_OK) continue;
    static output out;
    memset(&out, 0, sizeof out);
    shoehorn_generation_stats stats;
    s = shoehorn_generate(c, r->prompt, r->steps, gather, &out, &stats, &error);
    CHECK(s == SHOEHORN_OK, "generate: %s", error.message);
    out.text[out.length++] = '\n'; /* llama2.c ends the text with a newline */

    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, r->file);
    file_bytes expected = load(path);
    CHECK(out.length == expected.size && memcmp(out.text, expected.bytes, out.length) == 0,
          "%s (block %zu bytes): got %u bytes:\n%.*s", r->file, bytes, (unsigned)out.length,
          (int)out.length, out.text);
    free(expected.bytes);
    shoehorn_context_free(c);
  }
  shoehorn_close(m);
  free(block);
}

/* A loop over forward and sample gives generate's tokens. */
static void forward_and_sample_match_generate(file_bytes* model, file_bytes* tokenizer) {
  shoehorn_error error;
  shoehorn_reader model_reader = reader_of(model, "stories260K.bin");
  shoehorn_reader tokenizer_reader = reader_of(tokenizer, "tok512.bin");
  shoehorn_params params;
  shoehorn_default_params(&params);
  params.positions = 40;
  shoehorn_memory_info info;
  CHECK(shoehorn_plan(&model_reader, 0, &params, &info, &error) == SHOEHORN_OK, "%s", error.message);
  CHECK(info.positions == 40, "positions %d", info.positions);
  void* block = malloc((size_t)info.block_bytes);
  shoehorn_model* m = NULL;
  CHECK(shoehorn_open(&model_reader, &tokenizer_reader, &params, block, (size_t)info.block_bytes,
                      &m, &error) == SHOEHORN_OK,
        "%s", error.message);
  if (m == NULL) {
    free(block);
    return;
  }
  shoehorn_context_params cp;
  shoehorn_default_context_params(&cp);
  cp.seed = 5;
  shoehorn_context* c = NULL;
  CHECK(shoehorn_context_new(m, &cp, &c, &error) == SHOEHORN_OK, "%s", error.message);
  static output generated;
  memset(&generated, 0, sizeof generated);
  CHECK(shoehorn_generate(c, "", 40, gather, &generated, NULL, &error) == SHOEHORN_OK, "%s",
        error.message);
  shoehorn_context* second = NULL;
  CHECK(shoehorn_context_new(m, &cp, &second, &error) == SHOEHORN_INVALID_ARGUMENT,
        "a second context at once");
  shoehorn_context_free(c);

  CHECK(shoehorn_context_new(m, &cp, &c, &error) == SHOEHORN_OK, "%s", error.message);
  int32_t token = 1; /* BOS */
  int n = 0;
  for (int pos = 0; pos < 40; ++pos) {
    float* logits = NULL;
    CHECK(shoehorn_forward(c, token, pos, &logits, &error) == SHOEHORN_OK, "%s", error.message);
    int32_t next = 0;
    CHECK(shoehorn_sample(c, logits, &next, &error) == SHOEHORN_OK, "%s", error.message);
    if (next == 1) break;
    CHECK(n < generated.count && generated.tokens[n] == next, "token %d: %d", n, next);
    ++n;
    token = next;
  }
  CHECK(n == generated.count, "%d tokens by hand, %d generated", n, generated.count);
  float* logits = NULL;
  CHECK(shoehorn_forward(c, 0, 40, &logits, &error) == SHOEHORN_INVALID_ARGUMENT,
        "a position past the plan");

  /* Tokenize and detokenize: the ids spell the text again. */
  const char* text = "Once upon a time";
  size_t count = 0;
  CHECK(shoehorn_tokenize(m, text, strlen(text), 1, NULL, 0, &count, &error) ==
            SHOEHORN_BUFFER_TOO_SMALL,
        "no room");
  CHECK(count > 1 && count < 16, "count %zu", count);
  int32_t ids[16];
  CHECK(shoehorn_tokenize(m, text, strlen(text), 1, ids, 16, &count, &error) == SHOEHORN_OK, "%s",
        error.message);
  CHECK(ids[0] == 1, "BOS first: %d", ids[0]);
  char spelled[64] = "";
  for (size_t i = 1; i < count; ++i) {
    const char* piece = NULL;
    size_t length = 0;
    CHECK(shoehorn_detokenize(m, ids[i - 1], ids[i], &piece, &length, &error) == SHOEHORN_OK, "%s",
          error.message);
    strncat(spelled, piece, length);
  }
  CHECK(strcmp(spelled, text) == 0, "spelled '%s'", spelled);
  shoehorn_close(m);
  free(block);
}

/* Each failure: its status, and a line that says what. */
static void failures_have_a_status_and_a_line(file_bytes* model, file_bytes* tokenizer) {
  shoehorn_error error;
  shoehorn_params params;
  shoehorn_default_params(&params);
  shoehorn_reader model_reader = reader_of(model, "stories260K.bin");
  shoehorn_reader tokenizer_reader = reader_of(tokenizer, "tok512.bin");
  shoehorn_memory_info info;
  CHECK(shoehorn_plan(&model_reader, 0, &params, &info, &error) == SHOEHORN_OK, "%s", error.message);
  void* block = malloc((size_t)info.block_bytes);
  shoehorn_model* m = NULL;

  /* A block below the smallest plan (that streams every matrix, with a Q8 cache). */
  const size_t small = 64 << 10;
  CHECK(shoehorn_open(&model_reader, &tokenizer_reader, &params, block, small, &m, &error) ==
            SHOEHORN_NO_MEMORY,
        "small block");
  CHECK(strstr(error.message, "stories260K.bin") != NULL, "'%s'", error.message);
  CHECK(m == NULL, "no model");

  /* A file cut short. */
  file_bytes cut = *model;
  cut.size = 1000;
  shoehorn_reader cut_reader = reader_of(&cut, "cut.bin");
  CHECK(shoehorn_open(&cut_reader, &tokenizer_reader, &params, block, (size_t)info.block_bytes, &m,
                      &error) == SHOEHORN_BAD_FILE,
        "cut file");
  CHECK(strstr(error.message, "cut.bin") != NULL, "'%s'", error.message);

  /* A reader that fails once the header is read. */
  file_bytes failing = *model;
  failing.fail_after = 1;
  shoehorn_reader failing_reader = reader_of(&failing, "failing.bin");
  CHECK(shoehorn_open(&failing_reader, &tokenizer_reader, &params, block, (size_t)info.block_bytes,
                      &m, &error) == SHOEHORN_READ_FAILED,
        "failing reader: %s", error.message);
  CHECK(strstr(error.message, "failing.bin") != NULL, "'%s'", error.message);

  /* No tokenizer for a llama2.c checkpoint. */
  CHECK(shoehorn_open(&model_reader, NULL, &params, block, (size_t)info.block_bytes, &m, &error) ==
            SHOEHORN_BAD_FILE,
        "no tokenizer");
  CHECK(strstr(error.message, "tokenizer") != NULL, "'%s'", error.message);

  /* Arguments. */
  CHECK(shoehorn_open(NULL, NULL, &params, block, 1, &m, &error) == SHOEHORN_INVALID_ARGUMENT, "NULL");
  params.kv_cache = "f8";
  CHECK(shoehorn_plan(&model_reader, 0, &params, &info, &error) == SHOEHORN_INVALID_ARGUMENT, "kv");
  CHECK(strstr(error.message, "kv_cache") != NULL, "'%s'", error.message);
  params.kv_cache = NULL;

  CHECK(shoehorn_open(&model_reader, &tokenizer_reader, &params, block, (size_t)info.block_bytes,
                      &m, &error) == SHOEHORN_OK,
        "%s", error.message);
  shoehorn_context_params cp;
  shoehorn_default_context_params(&cp);
  cp.kernels = "sse9";
  shoehorn_context* c = NULL;
  CHECK(shoehorn_context_new(m, &cp, &c, &error) == SHOEHORN_INVALID_ARGUMENT, "kernels");
  cp.kernels = "scalar";
  CHECK(shoehorn_context_new(m, &cp, &c, &error) == SHOEHORN_OK, "%s", error.message);
  CHECK(shoehorn_generate(c, "x", 100000, NULL, NULL, NULL, &error) == SHOEHORN_INVALID_ARGUMENT,
        "steps");
  CHECK(strcmp(shoehorn_status_name(SHOEHORN_NO_MEMORY), "no memory") == 0, "name");
  shoehorn_close(m); /* ends its context too */
  free(block);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: c_api_test MODEL TOKENIZER REFERENCE_DIR\n");
    return 2;
  }
  file_bytes model = load(argv[1]);
  file_bytes tokenizer = load(argv[2]);

  shoehorn_reader model_reader = reader_of(&model, "stories260K.bin");
  shoehorn_params params;
  shoehorn_default_params(&params);
  shoehorn_memory_info info;
  shoehorn_error error;
  CHECK(shoehorn_plan(&model_reader, 0, &params, &info, &error) == SHOEHORN_OK, "%s", error.message);

  generate_references(&model, &tokenizer, argv[3], 0, 0);
  generate_references(&model, &tokenizer, argv[3], info.minimum_block_bytes, 1);
  forward_and_sample_match_generate(&model, &tokenizer);
  failures_have_a_status_and_a_line(&model, &tokenizer);

  free(model.bytes);
  free(tokenizer.bytes);
  if (failures == 0) printf("c_api_test: all passed\n");
  return failures == 0 ? 0 : 1;
}
