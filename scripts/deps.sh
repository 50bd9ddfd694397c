#!/usr/bin/env bash
# Installs the Debian bookworm packages that building and testing shoehorn need.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libcli11-dev                              # command-line parsing
  libgtest-dev googletest                   # tests (googletest: sources for the cross build)
  libsentencepiece-dev                      # tokenizer parity tests
  qemu-user g++-powerpc64-linux-gnu         # big-endian PowerPC 64 build, run under qemu
  clang libclang-rt-14-dev                  # libFuzzer targets; Clang 14 builds the compile-time example
  time                                      # /usr/bin/time -v: scripts/bench-compile-time.sh
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi
