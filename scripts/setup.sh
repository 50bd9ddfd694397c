#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine to generated text: installs the packages,
# builds shoehorn (Release) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHOEHORN_SHARED:-$(pwd)/../shared}"

scripts/deps.sh
cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build

# Until the project ships a model it trained, generate with the shared reference model.
build/shoehorn run "$shared/models/stories260K.bin" -z "$shared/models/tok512.bin" \
  -t 0.8 -p 0.9 -s 42 -n 256 -i "Once upon a time"
