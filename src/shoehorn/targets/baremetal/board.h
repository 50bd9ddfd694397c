/* The bare machine under the program: start-up, the heap newlib's malloc grows, and the
 * figures of what the program used of the board's RAM. */
#ifndef SHOEHORN_BAREMETAL_BOARD_H
#define SHOEHORN_BAREMETAL_BOARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct board_memory {
  uint32_t ram_bytes;            /* the board's RAM, all of it */
  uint32_t code_bytes;           /* code and read-only data, exception tables included */
  uint32_t data_bytes;           /* initialised data */
  uint32_t bss_bytes;            /* zeroed data */
  uint32_t heap_high_water;      /* the most the heap ever held (newlib's malloc) */
  uint32_t stack_bytes;          /* the stack's region */
  uint32_t stack_high_water;     /* the deepest the stack went */
} board_memory;

/* What malloc can still get: from the heap's end to the stack's region. */
size_t board_heap_free(void);
board_memory board_memory_figures(void);

#endif
