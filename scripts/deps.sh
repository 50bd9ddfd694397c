#!/usr/bin/env bash
# Installs the Debian bookworm packages that building and testing shoehorn need.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libcli11-dev                              # command-line parsing
  libgtest-dev googletest                   # tests (googletest: sources for the cross build)
  libsentencepiece-dev                      # tokenizer parity tests
  unicode-data                              # Unicode tables of the BPE pre-tokenizers (build time)
  libicu-dev                                # the BPE pre-tokenizer oracle test (ICU's regex engine)
  libtorch-dev libpng-dev                   # shoehorn train (LibTorch CPU), its loss-curve PNG
  libopenblas0-openmp                       # LibTorch's BLAS: 6x the reference BLAS, OpenMP threads
  qemu-user g++-powerpc64-linux-gnu         # big-endian PowerPC 64 build, run under qemu
  g++-mipsel-linux-gnu                      # 32-bit little-endian MIPS build (32-bit size_t), under qemu
  g++-aarch64-linux-gnu                     # AArch64 build (NEON, SDOT), under qemu
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  qemu-system-arm                           # the bare-metal ARM board (32 MiB, no OS), semihosting
  clang libclang-rt-14-dev                  # libFuzzer targets
  cc65                                      # NES cartridge: ca65, ld65 (and sim65)
  xz-utils                                  # docs/NES.md's compression baseline
  clang libclang-rt-14-dev                  # libFuzzer targets; Clang 14 builds the compile-time example
  time                                      # /usr/bin/time -v: scripts/bench-compile-time.sh
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node runs the NES emulator (jsnes). Debian's nodejs conflicts with a Node installed another
# way, so it is installed only when there is no node at all.
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi

# jsnes, at the version package-lock.json pins, for tools/nes/emulate.mjs.
(cd "$(dirname "$0")/../tools/nes" && npm ci --no-audit --no-fund --loglevel=error)
