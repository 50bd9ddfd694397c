/* ARM semihosting: the host (here qemu) answers requests the program makes with a supervisor
 * call, so a machine with no drivers can read the host's files and end with an exit status.
 * The calls are the Arm "Semihosting for AArch32 and AArch64" specification's. */
#ifndef SHOEHORN_BAREMETAL_SEMIHOSTING_H
#define SHOEHORN_BAREMETAL_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

/* A host file opened for reading, or -1. */
int semihosting_open(const char* path);
/* The file's length in bytes, or -1. */
long semihosting_length(int handle);
/* Reads bytes at offset into dst: 0 when all were read. */
int semihosting_read_at(int handle, uint32_t offset, void* dst, size_t bytes);
/* The program's command line as the host gave it (arguments joined by spaces), or -1. */
int semihosting_command_line(char* buffer, size_t capacity);
/* Ends the program; the host exits with status. */
_Noreturn void semihosting_exit(int status);

#endif
