#include "board.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "semihosting.h"

/* The linker script's layout: image, heap, stack (link.ld). */
extern char __image_start[], __code_end[], __data_start[], __data_end[];
extern char __bss_start__[], __bss_end__[], __heap_start[], __stack_limit[], __stack_top[];

int main(int argc, char** argv);
void initialise_monitor_handles(void);
void __libc_init_array(void);

enum { kMaxArguments = 64, kCommandLineBytes = 4096 };
static const uint32_t kStackPaint = 0x5afe57acu;

static char* heap_end = __heap_start;
static char* heap_high = __heap_start;

/* newlib's malloc grows the heap here, up to the stack's region and no further. */
void* _sbrk(ptrdiff_t increment) {
  if (increment > __stack_limit - heap_end || increment < __heap_start - heap_end) {
    errno = ENOMEM;
    return (void*)-1;
  }
  char* previous = heap_end;
  heap_end += increment;
  if (heap_end > heap_high) heap_high = heap_end;
  return previous;
}

size_t board_heap_free(void) { return (size_t)(__stack_limit - heap_end); }

void _exit(int status) { semihosting_exit(status); }

/* libstdc++ asks for entropy for std::random_device; the board has none. */
int getentropy(void* buffer, size_t length) {
  (void)buffer;
  (void)length;
  errno = ENOSYS;
  return -1;
}

/* No crti/crtn: the init and fini arrays are all there is. */
void _init(void) {}
void _fini(void) {}

/* The stack below the caller's frame, painted so that its high-water mark can be read later. */
static void paint_stack(void) {
  uint32_t* word = (uint32_t*)(void*)__stack_limit;
  uint32_t* below = (uint32_t*)__builtin_frame_address(0) - 64;
  for (; word < below; ++word) *word = kStackPaint;
}

board_memory board_memory_figures(void) {
  const uint32_t* word = (const uint32_t*)(const void*)__stack_limit;
  const uint32_t* top = (const uint32_t*)(const void*)__stack_top;
  while (word < top && *word == kStackPaint) ++word;
  board_memory m;
  m.ram_bytes = (uint32_t)(__stack_top - __image_start);
  m.code_bytes = (uint32_t)(__code_end - __image_start);
  m.data_bytes = (uint32_t)(__data_end - __data_start);
  m.bss_bytes = (uint32_t)(__bss_end__ - __bss_start__);
  m.heap_high_water = (uint32_t)(heap_high - __heap_start);
  m.stack_bytes = (uint32_t)(__stack_top - __stack_limit);
  m.stack_high_water = (uint32_t)((const char*)top - (const char*)word);
  return m;
}

/* "%XX" back to the byte it stands for: run-baremetal.sh encodes every byte of an argument
 * that is not a plain path character, since the host joins arguments with spaces. */
static void decode_argument(char* text) {
  char* out = text;
  for (const char* in = text; *in != '\0'; ++in) {
    if (in[0] == '%' && in[1] != '\0' && in[2] != '\0') {
      const char hex[3] = {in[1], in[2], '\0'};
      *out++ = (char)strtol(hex, NULL, 16);
      in += 2;
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
}

static int split_arguments(char* line, char** argv) {
  int argc = 0;
  for (char* word = strtok(line, " "); word != NULL && argc < kMaxArguments; word = strtok(NULL, " ")) {
    decode_argument(word);
    argv[argc++] = word;
  }
  argv[argc] = NULL;
  return argc;
}

void board_start(void) {
  memset(__bss_start__, 0, (size_t)(__bss_end__ - __bss_start__));
  paint_stack();
  initialise_monitor_handles();
  __libc_init_array();
  static char line[kCommandLineBytes];
  static char* argv[kMaxArguments + 1];
  int argc = 0;
  if (semihosting_command_line(line, sizeof line) == 0) argc = split_arguments(line, argv);
  exit(main(argc, argv));
}

/* What crtbegin.o would define: the handle static destructors are registered under. */
void* __dso_handle = &__dso_handle;
