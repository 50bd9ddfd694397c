#!/usr/bin/env bash
# shoehorn on a bare machine: qemu-system-arm's virt board, a Cortex-A15 with exactly 32 MiB of
# RAM and no operating system, running src/shoehorn/targets/baremetal over the C interface. The
# model and tokenizer are the host's files, read through ARM semihosting as a console reads its
# CD. The generated text alone goes to stdout, as `shoehorn run` prints it; the memory figures
# (code + data + bss + heap + stack high-water, within the 32 MiB) to stderr.
#   scripts/run-baremetal.sh MODEL [-z TOKENIZER] [-t T] [-p P] [-s SEED] [-n STEPS] [-i PROMPT]
#                            [--kernels PATH] [--kv-cache TYPE] [--chunk N] [--heap-reserve BYTES]
# Builds the program first when needed (in SHOEHORN_BAREMETAL_BUILD, default build-arm), unless
# SHOEHORN_BAREMETAL_ELF names a program already built (the tests do).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -eq 0 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

elf="${SHOEHORN_BAREMETAL_ELF:-}"
if [ -z "$elf" ]; then
  build="${SHOEHORN_BAREMETAL_BUILD:-$root/build-arm}"
  elf="$build/src/shoehorn/targets/baremetal/shoehorn-baremetal.elf"
  if [ ! -f "$build/build.ninja" ]; then
    cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/arm-none-eabi.cmake" >&2
  fi
  cmake --build "$build" --target shoehorn-baremetal >&2
fi

# The host joins semihosting arguments with spaces (and qemu's option syntax gives commas a
# meaning), so every byte of an argument but [A-Za-z0-9._/-] travels as %XX.
encode() {
  printf '%s' "$1" | od -An -v -tx1 | awk '
    BEGIN { for (i = 0; i < 128; i++) char[sprintf("%02x", i)] = sprintf("%c", i) }
    { for (f = 1; f <= NF; f++) {
        c = char[$f]
        if (c ~ /^[A-Za-z0-9._\/-]$/) printf "%s", c; else printf "%%%s", toupper($f)
    } }'
}
config="enable=on,target=native,arg=shoehorn-baremetal"
for a in "$@"; do config+=",arg=$(encode "$a")"; done

exec qemu-system-arm -M virt -cpu cortex-a15 -m 32M -nographic -monitor none -serial none \
  -semihosting-config "$config" -kernel "$elf"
