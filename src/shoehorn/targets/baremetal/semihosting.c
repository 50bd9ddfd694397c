#include "semihosting.h"

#include <string.h>

enum {
  kOpen = 0x01,
  kRead = 0x06,
  kSeek = 0x0A,
  kLength = 0x0C,
  kCommandLine = 0x15,
  kExitExtended = 0x20,
  kApplicationExit = 0x20026, /* ADP_Stopped_ApplicationExit */
  kModeReadBinary = 1         /* fopen's "rb" */
};

/* One request: r0 the operation, r1 its argument block; the answer comes back in r0. */
static int call(int operation, void* arguments) {
  register int r0 __asm__("r0") = operation;
  register void* r1 __asm__("r1") = arguments;
#if defined(__thumb__)
  __asm__ volatile("svc 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
  __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
#endif
  return r0;
}

int semihosting_open(const char* path) {
  uint32_t block[3] = {(uint32_t)(uintptr_t)path, kModeReadBinary, (uint32_t)strlen(path)};
  return call(kOpen, block);
}

long semihosting_length(int handle) {
  uint32_t block[1] = {(uint32_t)handle};
  return call(kLength, block);
}

int semihosting_read_at(int handle, uint32_t offset, void* dst, size_t bytes) {
  uint32_t seek[2] = {(uint32_t)handle, offset};
  if (call(kSeek, seek) != 0) return 1;
  uint8_t* out = dst;
  while (bytes > 0) {
    uint32_t read[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)out, (uint32_t)bytes};
    const int left = call(kRead, read); /* the bytes it did not read */
    if (left < 0 || (size_t)left >= bytes) return 1;
    out += bytes - (size_t)left;
    bytes = (size_t)left;
  }
  return 0;
}

int semihosting_command_line(char* buffer, size_t capacity) {
  uint32_t block[2] = {(uint32_t)(uintptr_t)buffer, (uint32_t)capacity};
  return call(kCommandLine, block) == 0 ? 0 : -1;
}

_Noreturn void semihosting_exit(int status) {
  uint32_t block[2] = {kApplicationExit, (uint32_t)status};
  for (;;) call(kExitExtended, block);
}
