/* The smallest program over shoehorn's C interface: a model file (a GGUF with its tokenizer
 * inside, or a llama2.c checkpoint and its tokenizer.bin), a prompt, and the text on stdout.
 *   embed MODEL PROMPT [TOKENIZER] */
#include <shoehorn/shoehorn.h>

#include <stdio.h>
#include <stdlib.h>

/* The reader: the file, read where the model asks. */
static int read_file(void* context, uint64_t offset, size_t bytes, void* dst) {
  FILE* f = context;
  if (fseeko(f, (off_t)offset, SEEK_SET) != 0) return 1;
  return fread(dst, 1, bytes, f) == bytes ? 0 : 1;
}

static int open_reader(const char* path, shoehorn_reader* reader) {
  FILE* f = fopen(path, "rb");
  if (f == NULL || fseeko(f, 0, SEEK_END) != 0) return 1;
  reader->context = f;
  reader->size = (uint64_t)ftello(f);
  reader->name = path;
  reader->read = read_file;
  return 0;
}

static int print_token(void* user, int32_t token, const char* text, size_t length) {
  (void)user;
  (void)token;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: embed MODEL PROMPT [TOKENIZER]\n");
    return 2;
  }
  shoehorn_reader model, tokenizer;
  if (open_reader(argv[1], &model) != 0 || (argc == 4 && open_reader(argv[3], &tokenizer) != 0)) {
    fprintf(stderr, "embed: cannot open %s\n", argc == 4 ? argv[3] : argv[1]);
    return 1;
  }
  shoehorn_params params;
  shoehorn_default_params(&params);
  params.positions = 256;
  shoehorn_error error;
  shoehorn_memory_info info;
  shoehorn_model* m = NULL;
  shoehorn_context* c = NULL;
  void* block = NULL;
  shoehorn_status s = shoehorn_plan(&model, 0, &params, &info, &error);
  if (s == SHOEHORN_OK) {
    block = malloc((size_t)info.block_bytes);
    s = block == NULL ? SHOEHORN_NO_MEMORY
                      : shoehorn_open(&model, argc == 4 ? &tokenizer : NULL, &params, block,
                                      (size_t)info.block_bytes, &m, &error);
  }
  shoehorn_context_params context_params;
  shoehorn_default_context_params(&context_params);
  context_params.seed = 42;
  if (s == SHOEHORN_OK) s = shoehorn_context_new(m, &context_params, &c, &error);
  if (s == SHOEHORN_OK) s = shoehorn_generate(c, argv[2], 0, print_token, NULL, NULL, &error);
  if (s == SHOEHORN_OK) printf("\n");
  else fprintf(stderr, "embed: %s: %s\n", shoehorn_status_name(s), error.message);
  shoehorn_close(m);
  free(block);
  return s == SHOEHORN_OK ? 0 : 1;
}
